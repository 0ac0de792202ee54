/**
 * The benchmark harness: what a benchmark is, how a run is selected and judged, and a timing
 * helper. Benchmarks register by being in the list of `src/bench/benchmarks/index.ts`.
 */
import { BenchError } from '../../drivers/driver.ts';

/** What a benchmark reports. Extra fields (sample counts, sanity statistics) are kept in the JSON. */
export interface BenchResult {
  /** The figure. */
  value: number;
  /** Its unit, e.g. `MVM/s`, `MiB`. */
  unit: string;
  /** True when larger values are better (rates); false for costs (time, memory). */
  higherIsBetter: boolean;
  /** The figure the benchmark must reach (≥ when higherIsBetter, else ≤); none: informational. */
  target?: number;
  [extra: string]: unknown;
}

/** A named benchmark. Names are dotted, grouped by subsystem: `emulator.mvm_per_s`. */
export interface Benchmark {
  /** Unique dotted name; `--only` selects by prefix of it. */
  name: string;
  /** One line: what is measured, and on what. */
  description: string;
  /** Measure. Runs alone in the process (others run before or after, never beside it). */
  run(): Promise<BenchResult>;
}

/** Whether `result` meets its target: undefined when it has none. */
export function meetsTarget(result: BenchResult): boolean | undefined {
  if (result.target === undefined) return undefined;
  return result.higherIsBetter ? result.value >= result.target : result.value <= result.target;
}

/**
 * The benchmarks whose name starts with any of `prefixes` (all of them when there are none).
 * A prefix matching nothing is a USAGE error naming it and the available names; duplicate
 * names in the list are refused.
 */
export function selectBenchmarks(
  list: readonly Benchmark[],
  prefixes: readonly string[],
): Benchmark[] {
  const names = list.map((b) => b.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined)
    throw new BenchError('INVALID_ARGUMENT', `benchmark registered twice: ${dup}`);
  if (prefixes.length === 0) return [...list];
  for (const p of prefixes) {
    if (!names.some((n) => n.startsWith(p)))
      throw new BenchError(
        'USAGE',
        `--only ${p} matches no benchmark (available: ${names.join(', ') || 'none'})`,
        {
          prefix: p,
          available: names,
        },
      );
  }
  return list.filter((b) => prefixes.some((p) => b.name.startsWith(p)));
}

/** Options of `measureRate`. */
export interface RateOptions {
  /** Measure for at least this long (ms). Default 1000. */
  minTimeMs?: number;
  /** Untimed warm-up first, so the JIT has compiled the hot path (ms). Default 200. */
  warmupMs?: number;
  /** Units in the first batch; batches double until one lasts `minTimeMs / 4`. Default 1. */
  initialUnits?: number;
}

/** The outcome of `measureRate`. */
export interface Rate {
  /** Units per second over the timed batches. */
  perS: number;
  /** Units timed. */
  units: number;
  /** Seconds timed. */
  seconds: number;
}

/**
 * Units per second of `runBatch(n)`, which must do `n` units of work. Batches grow until
 * timer overhead is negligible; then batches are timed until `minTimeMs` has passed.
 */
export async function measureRate(
  runBatch: (units: number) => unknown,
  options: RateOptions = {},
): Promise<Rate> {
  const { minTimeMs = 1000, warmupMs = 200, initialUnits = 1 } = options;
  let n = Math.max(1, Math.floor(initialUnits));
  const timed = async (units: number) => {
    const t0 = performance.now();
    await runBatch(units);
    return performance.now() - t0;
  };
  // Warm up and size the batch at once: double until a batch lasts a quarter of the run.
  let warm = 0;
  for (;;) {
    const ms = await timed(n);
    warm += ms;
    if (ms >= minTimeMs / 4 && warm >= warmupMs) break;
    if (ms < minTimeMs / 4) n *= 2;
  }
  let units = 0;
  let ms = 0;
  while (ms < minTimeMs) {
    ms += await timed(n);
    units += n;
  }
  return { perS: units / (ms / 1000), units, seconds: ms / 1000 };
}
