/**
 * Start-up of the command line and cost of the dashboard.
 *   cli.help_s       `rram-bench --help`, median of 7 spawns, beside `node -e 0` in the same run.
 *   cli.chip_info_s  `rram-bench chip info --emulator`, median of 5 spawns.
 *   tui.overhead     MVMs per second of an inference campaign with the dashboard drawn to a
 *                    (virtual) 80×24 terminal, over the same campaign without it, alternating
 *                    rounds, best of each: the dashboard samples the record stream, so it must
 *                    cost at most 5% of acquisition.
 * The spawns run bin/rram-bench.js as a user would: the built bundle in dist/ when it is fresh
 * (`npm run build`), else the TypeScript sources (then reported in the JSON as `bundle: false`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { JobUpdate } from '../../ui/job-state.ts';
import type { Benchmark, BenchResult } from '../harness.ts';

const bin = fileURLToPath(new URL('../../../bin/rram-bench.js', import.meta.url));
const root = fileURLToPath(new URL('../../../', import.meta.url));

/** Median wall time (s) of `runs` spawns of node with `args`. */
function spawnMedianS(args: string[], runs: number): { median: number; all: number[] } {
  const all: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    all.push((performance.now() - t0) / 1000);
    if (r.status !== 0)
      throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr.toString()}`);
  }
  const sorted = [...all].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)]!, all };
}

const bundled = () => existsSync(new URL('../../../dist/build.json', import.meta.url));

/** An MVM-heavy campaign on the emulator in virtual time (no real waits). */
const CAMPAIGN = `name: tui-overhead
seed: 1
steps:
  - kind: configure
    precisionBits: 8
  - kind: form
    region: { row: 0, col: 0, rows: 64, cols: 16 }
  - kind: program
    region: { row: 0, col: 0, rows: 64, cols: 16 }
    pattern: { kind: prototypes, classes: 8, seed: 7 }
  - kind: infer
    region: { row: 0, col: 0, rows: 64, cols: 16 }
    dataset: { kind: synthetic, samples: 65536, classes: 8, seed: 7 }
    batch: 64
    decode: columns
`;

/** MVM/s of the campaign's infer step, with or without the dashboard drawing its records. */
async function campaignMvmPerS(dashboard: boolean): Promise<number> {
  const [{ openChip }, { parseCampaign }, { RunEngine }, { RunUpdates }, { renderJob }, rxjs] =
    await Promise.all([
      import('../../../drivers/factory.ts'),
      import('../../campaign/parse-campaign.ts'),
      import('../../campaign/run-engine.ts'),
      import('../../cli/run-updates.ts'),
      import('../../ui/render-job.tsx'),
      import('rxjs'),
    ]);
  const driver = await openChip({ emulator: true, seed: 1, clock: 'virtual' });
  try {
    const chip = await rxjs.firstValueFrom(driver.identify());
    const engine = new RunEngine({
      driver,
      chip,
      plan: parseCampaign(CAMPAIGN, 'tui-overhead'),
      runUuid: 'bench',
    });
    let ui: Promise<void> | undefined;
    if (dashboard) {
      // A terminal that accepts everything at once, as a fast local terminal does.
      const stdout = Object.assign(new PassThrough(), { isTTY: true, columns: 80, rows: 24 });
      stdout.resume();
      const updates = new rxjs.Subject<JobUpdate>();
      const mapper = new RunUpdates('bench');
      engine.records.subscribe({
        next: (r) => mapper.updates(r).forEach((u) => updates.next(u)),
        complete: () => updates.complete(),
      });
      ui = renderJob(updates, {
        stdout: stdout as unknown as NodeJS.WriteStream,
        stdin: Object.assign(new PassThrough(), { isTTY: false }) as unknown as NodeJS.ReadStream,
        color: true,
      });
    }
    let t0 = 0;
    let t1 = 0;
    let mvms = 0;
    engine.records.subscribe((r) => {
      if (r.type === 'step-start' && r.kind === 'infer') t0 = performance.now();
      if (r.type === 'measurement' && r.measurement.kind === 'mvm')
        mvms += r.measurement.result.batch;
      if (r.type === 'step-end' && r.name === 'infer') t1 = performance.now();
    });
    const stop = await engine.run();
    await ui;
    if (stop.status !== 'completed') throw new Error(`campaign ${stop.status}: ${stop.reason}`);
    return mvms / ((t1 - t0) / 1000);
  } finally {
    await driver.close();
  }
}

/** The start-up and dashboard benchmarks. */
export const cliBenchmarks: Benchmark[] = [
  {
    name: 'cli.help_s',
    description: '`rram-bench --help`, median of 7 spawns (node -e 0 beside it)',
    run(): Promise<BenchResult> {
      const node = spawnMedianS(['-e', '0'], 7);
      const help = spawnMedianS([bin, '--help'], 7);
      return Promise.resolve({
        value: help.median,
        unit: 's',
        higherIsBetter: false,
        target: 0.3,
        nodeBareS: node.median,
        bundle: bundled(),
        samples: help.all,
      });
    },
  },
  {
    name: 'cli.chip_info_s',
    description: '`rram-bench chip info --emulator`, median of 5 spawns (node -e 0 beside it)',
    run(): Promise<BenchResult> {
      const node = spawnMedianS(['-e', '0'], 5);
      const info = spawnMedianS([bin, 'chip', 'info', '--emulator'], 5);
      return Promise.resolve({
        value: info.median,
        unit: 's',
        higherIsBetter: false,
        target: 1,
        nodeBareS: node.median,
        bundle: bundled(),
        samples: info.all,
      });
    },
  },
  {
    name: 'tui.overhead',
    description:
      'infer-campaign MVM/s with the dashboard on an 80×24 terminal over --no-tui, best of 3 alternating rounds',
    async run(): Promise<BenchResult> {
      let plain = 0;
      let tui = 0;
      for (let round = 0; round < 3; round++) {
        plain = Math.max(plain, await campaignMvmPerS(false));
        tui = Math.max(tui, await campaignMvmPerS(true));
      }
      return {
        value: tui / plain,
        unit: 'ratio',
        higherIsBetter: true,
        target: 0.95,
        mvmPerSDashboard: tui,
        mvmPerSPlain: plain,
      };
    },
  },
];
