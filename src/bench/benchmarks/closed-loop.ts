/**
 * The closed-loop benchmark (register in index.ts: `...closedLoopBenchmarks`):
 *   closed_loop.wall_s — the whole fixtures/campaigns/mnist-closed-loop.yaml campaign (train,
 *     deploy, characterise, retrain, calibrate, fine-tune; 8,000/2,000 MNIST digits) on the
 *     default emulated chip in virtual time, seed 1, as `rram-bench run` in a child process:
 *     wall seconds, ≤ 300 s on a 2-core machine. The JSON also holds the accuracy per stage,
 *     the training time per epoch and the chip time per step (from the run's `--json` result).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Benchmark, BenchResult } from '../harness.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));

async function runCampaign(): Promise<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'rram-bench-loop-'));
  try {
    const args = [
      'bin/rram-bench.js',
      'run',
      'fixtures/campaigns/mnist-closed-loop.yaml',
      '--emulator',
      '--time',
      'virtual',
      '--seed',
      '1',
      '--json',
      '--db',
      join(dir, 'loop.db'),
    ];
    const t0 = performance.now();
    const { code, stdout, stderr } = await new Promise<{
      code: number | null;
      stdout: string;
      stderr: string;
    }>((resolve) => {
      const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
      child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
      child.on('close', (c) => resolve({ code: c, stdout: out, stderr: err }));
    });
    const wallS = (performance.now() - t0) / 1000;
    if (code !== 0) throw new Error(`the campaign failed (exit ${code}): ${stderr.slice(-500)}`);
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      accuracy: Record<string, number>;
      epochS: Record<string, number>;
      chipTimeS: Record<string, number>;
    };
    return {
      value: wallS,
      unit: 's',
      higherIsBetter: false,
      target: 300,
      accuracy: result.accuracy,
      epochS: result.epochS,
      chipTimeS: result.chipTimeS,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The closed-loop benchmarks. */
export const closedLoopBenchmarks: Benchmark[] = [
  {
    name: 'closed_loop.wall_s',
    description:
      'mnist-closed-loop.yaml end to end (default emulated chip, virtual time, seed 1): wall seconds',
    run: runCampaign,
  },
];
