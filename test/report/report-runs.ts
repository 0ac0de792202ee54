/**
 * Test helpers: databases to report on. The demo campaign runs in process (the `run` command,
 * virtual time, so it is quick and repeats to the bit); the closed-loop run is constructed with
 * the store's API, because the closed loop itself is built elsewhere.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliContext } from '../../src/cli/command.ts';
import { run } from '../../src/cli/run.ts';
import { Store } from '../../src/store/store.ts';
import { repoRoot } from '../cli/run-cli.ts';

/** A context whose output is collected. */
export function quietContext(): CliContext & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: { write: (t: string) => out.push(t) },
    stderr: { write: (t: string) => err.push(t) },
    signal: new AbortController().signal,
  };
}

/** A fresh temporary directory. */
export function tempDir(prefix = 'rram-report-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Run `fixtures/campaigns/<name>.yaml` into `db` (virtual time); resolves to the run's uuid. */
export async function runCampaign(db: string, name: string, seed = 1): Promise<string> {
  const ctx = quietContext();
  const code = await run.run(
    [
      join(repoRoot, 'fixtures/campaigns', `${name}.yaml`),
      '--db',
      db,
      '--time',
      'virtual',
      '--seed',
      String(seed),
      '--no-tui',
    ],
    ctx,
  );
  if (code !== 0) throw new Error(`campaign ${name} exited ${code}: ${ctx.err.join('')}`);
  const reader = Store.openReader(db);
  try {
    return reader.listRuns().at(-1)!.uuid;
  } finally {
    reader.close();
  }
}

/** Closed-loop accuracies the constructed run stores (metric `accuracy.<stage>`), in stage order. */
export const CLOSED_LOOP_STAGES: readonly [string, number][] = [
  ['software', 0.9921],
  ['naive', 0.8312],
  ['noiseAware', 0.9544],
  ['calibrated', 0.9637],
  ['finetune.1', 0.9705],
  ['final', 0.9783],
];

/** A run as the closed loop will store it: its stages' accuracies on two steps, stored out of order. */
export function constructClosedLoopRun(db: string): string {
  const store = Store.open(db);
  try {
    const chipId = store.upsertChip({
      model: 'vlsi19-hfo2-256',
      serial: 'EMU-CL',
      firmwareVersion: '0.1.0',
      protocolVersion: 1,
      rows: 256,
      cols: 256,
      readoutModes: ['COUNT'],
      precisionBits: { min: 1, max: 8 },
      clockHz: 50e6,
      conductanceWindowMicroS: { min: 1, max: 40 },
      limits: {} as never,
      emulated: true,
    });
    const uuid = '0c105ed1-0000-4000-8000-000000000001';
    const runId = store.createRun(
      {
        uuid,
        campaignName: 'mnist-closed-loop',
        campaignText: 'name: mnist-closed-loop\nsteps: []\n',
        chipId,
        connection: 'emulator',
        profile: 'vlsi19-hfo2-256',
        seed: 1,
        clock: 'virtual',
        softwareVersion: '0.1.0',
      },
      [
        { idx: 0, kind: 'train', name: 'train', params: {}, units: 1 },
        { idx: 1, kind: 'evaluate', name: 'evaluate', params: {}, units: 1 },
      ],
    );
    const metric = (name: string, value: number) => ({
      kind: 'metric' as const,
      name,
      value,
      unit: 'fraction',
    });
    const stages = [...CLOSED_LOOP_STAGES].reverse();
    store.finishStep(
      runId,
      0,
      'completed',
      {},
      stages.slice(0, 3).map(([s, v]) => metric(`accuracy.${s}`, v)),
    );
    store.finishStep(
      runId,
      1,
      'completed',
      {},
      stages.slice(3).map(([s, v]) => metric(`accuracy.${s}`, v)),
    );
    store.stopRun(runId, 'completed', 'all steps completed');
    return uuid;
  } finally {
    store.close();
  }
}
