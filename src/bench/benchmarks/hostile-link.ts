/**
 * Benchmark of a run over a hostile serial link (register in index.ts: `...hostileLinkBenchmarks`).
 *   link.hostile_slowdown — wall time of the demo campaign (`rram-bench run`, in this process,
 *     on an emulated board served on a pseudo-terminal on the virtual clock) through a link with
 *     1e-3 corrupted bytes and 5% dropped lines each way, over the same campaign on a clean link
 *     measured in the same bench run; target ≤ 5×. Needs socat.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchError } from '../../../drivers/driver.ts';
import { serveEmulator, type LinkFaults } from '../../../drivers/factory.ts';
import { run } from '../../cli/run.ts';
import type { Benchmark } from '../harness.ts';

const HOSTILE: LinkFaults = {
  toBoard: { seed: 21, corruptRate: 1e-3, dropLineRate: 0.05 },
  toHost: { seed: 22, corruptRate: 1e-3, dropLineRate: 0.05 },
};

/** Wall time of `run fixtures/campaigns/demo.yaml` over a pty board with `faults` (s). */
async function demoSeconds(dir: string, name: string, faults?: LinkFaults): Promise<number> {
  const board = await serveEmulator({
    transport: 'pty',
    clock: 'virtual',
    seed: 7,
    ...(faults && { faults }),
  });
  let err = '';
  const sink = { write: (s: string) => ((err += s), true) };
  try {
    const t0 = performance.now();
    let code: number;
    try {
      code = await run.run(
        [
          'fixtures/campaigns/demo.yaml',
          '--port',
          board.path!,
          '--db',
          join(dir, `${name}.db`),
          '--json',
          '--link-timeout',
          '250',
        ],
        { stdout: { write: () => true }, stderr: sink, signal: new AbortController().signal },
      );
    } catch (e) {
      throw new BenchError('IO', `the ${name} demo run failed: ${(e as Error).message}`);
    }
    const s = (performance.now() - t0) / 1000;
    if (code !== 0) throw new BenchError('IO', `the ${name} demo run failed (${code}): ${err}`);
    return s;
  } finally {
    await board.close();
  }
}

export const hostileLinkBenchmarks: Benchmark[] = [
  {
    name: 'link.hostile_slowdown',
    description:
      'demo campaign over a pty at 1e-3 corrupted bytes and 5% dropped lines each way: wall time over the clean run (same bench run)',
    async run() {
      const dir = mkdtempSync(join(tmpdir(), 'rram-bench-hostile-'));
      try {
        const cleanS = await demoSeconds(dir, 'clean');
        const hostileS = await demoSeconds(dir, 'hostile', HOSTILE);
        return {
          value: hostileS / cleanS,
          unit: '×',
          higherIsBetter: false,
          target: 5,
          cleanS,
          hostileS,
        };
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  },
];
