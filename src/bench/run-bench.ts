/**
 * `npm run bench -- [--only PREFIX]... [--out FILE]`: run the selected benchmarks one after the
 * other in this process, print a table, write one JSON object keyed by benchmark name.
 * Exit 0 when every target is met, 1 when one is missed or a benchmark fails, 2 on bad arguments.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CliContext } from '../cli/command.ts';
import { ExitCode } from '../cli/exit-codes.ts';
import { num, table } from '../cli/format.ts';
import { parseCommandArgs } from '../cli/parse-command-args.ts';
import { reportError } from '../cli/report-error.ts';
import { benchmarks as registry } from './benchmarks/index.ts';
import { meetsTarget, selectBenchmarks } from './harness.ts';
import type { Benchmark, BenchResult } from './harness.ts';
import { benchUsage, DEFAULT_OUT } from './bench-usage.ts';

export { benchUsage, DEFAULT_OUT };

const options = {
  only: { type: 'string', multiple: true },
  out: { type: 'string' },
  list: { type: 'boolean' },
} as const;

/** Run the bench with command-line `args`; resolves to the exit code. */
export async function runBench(
  args: string[],
  ctx: Pick<CliContext, 'stdout' | 'stderr'>,
  list: readonly Benchmark[] = registry,
): Promise<number> {
  let selected: Benchmark[];
  let out: string;
  try {
    const { values } = parseCommandArgs('bench', args, options);
    if (values.help) {
      ctx.stdout.write(benchUsage);
      return ExitCode.OK;
    }
    selected = selectBenchmarks(list, values.only ?? []);
    if (values.list) {
      ctx.stdout.write(
        `${table(
          ['name', 'description'],
          selected.map((b) => [b.name, b.description]),
        )}\n`,
      );
      return ExitCode.OK;
    }
    out = values.out ?? DEFAULT_OUT;
  } catch (e) {
    return reportError(e, ctx.stderr);
  }

  const results: Record<string, BenchResult> = {};
  let failed = false;
  for (const b of selected) {
    collectGarbage();
    ctx.stderr.write(`bench: ${b.name} …\n`);
    const t0 = performance.now();
    try {
      results[b.name] = await b.run();
      ctx.stderr.write(`bench: ${b.name} done in ${num((performance.now() - t0) / 1000)} s\n`);
    } catch (e) {
      failed = true;
      ctx.stderr.write(
        `bench: ${b.name} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
      );
    }
  }

  ctx.stdout.write(`${formatResults(results)}\n`);
  try {
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
    ctx.stderr.write(`bench: results written to ${out}\n`);
  } catch (e) {
    ctx.stderr.write(`rram-bench: error [IO]: cannot write ${out}: ${(e as Error).message}\n`);
    return ExitCode.FAILURE;
  }
  const missed = Object.values(results).some((r) => meetsTarget(r) === false);
  return failed || missed ? ExitCode.FAILURE : ExitCode.OK;
}

/** The results table: name, value, unit, target (≥ or ≤), pass/FAIL. */
export function formatResults(results: Record<string, BenchResult>): string {
  const rows = Object.entries(results).map(([name, r]) => {
    const ok = meetsTarget(r);
    const target =
      r.target === undefined ? '' : `${r.higherIsBetter ? '≥' : '≤'} ${num(r.target, 4)}`;
    return [name, num(r.value, 4), r.unit, target, ok === undefined ? '' : ok ? 'pass' : 'FAIL'];
  });
  return table(['benchmark', 'value', 'unit', 'target', 'result'], rows, [1]);
}

/** Collect garbage between benchmarks when node runs with --expose-gc, so one's garbage is not another's pause. */
function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
}
