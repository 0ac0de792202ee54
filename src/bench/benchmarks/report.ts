/**
 * `report.s`: the HTML report of a full-array demo run (fixtures/campaigns/demo-full-array.yaml:
 * 131,072 programmed cells, 4 conductance maps of 65,536 cells, a noise model, 256 MVMs), made by
 * the `report` command in process — database read, vega and vega-lite loaded, figures rendered,
 * file written; Node's own start-up excluded. The run is made first, untimed, in a temp directory.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchError } from '../../../drivers/driver.ts';
import type { CliContext } from '../../cli/command.ts';
import type { Benchmark, BenchResult } from '../harness.ts';

const CAMPAIGN = fileURLToPath(
  new URL('../../../fixtures/campaigns/demo-full-array.yaml', import.meta.url),
);

function quiet(): CliContext & { err: string[] } {
  const err: string[] = [];
  return {
    err,
    stdout: { write: () => true },
    stderr: { write: (t: string) => err.push(t) },
    signal: new AbortController().signal,
  };
}

async function reportSeconds(): Promise<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'rram-bench-report-'));
  try {
    const db = join(dir, 'full.db');
    const { run } = await import('../../cli/run.ts');
    const made = quiet();
    const code = await run.run([CAMPAIGN, '--db', db, '--time', 'virtual', '--no-tui'], made);
    if (code !== 0)
      throw new BenchError('DEVICE', `the full-array demo run failed: ${made.err.join('')}`);
    const { Store } = await import('../../store/store.ts');
    const reader = Store.openReader(db);
    const uuid = reader.listRuns()[0]!.uuid;
    reader.close();
    const out = join(dir, 'report.html');
    const { report } = await import('../../cli/report.ts');
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const rc = await report.run([uuid, '--db', db, '--out', out], quiet());
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    if (rc !== 0) throw new BenchError('DEVICE', `report exited ${rc}`);
    return {
      value: seconds,
      unit: 's',
      higherIsBetter: false,
      target: 5,
      cpuS: (cpu.user + cpu.system) / 1e6,
      htmlKiB: statSync(out).size / 1024,
      loadAverage1m: loadavg()[0],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The report benchmark. */
export const reportBenchmarks: Benchmark[] = [
  {
    name: 'report.s',
    description:
      'HTML report of a full-array demo run (131,072 programmed cells, 65,536-cell maps), in process',
    run: reportSeconds,
  },
];
