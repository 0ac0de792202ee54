/**
 * The benchmark registry: every benchmark `npm run bench` knows, in run order. To add some,
 * export a `Benchmark[]` from a file beside this one and spread it into the list.
 */
import type { Benchmark } from '../harness.ts';
import { emulatorBenchmarks } from './emulator.ts';
import { inferBenchmarks } from './infer.ts';
import { linkBenchmarks } from './link.ts';
import { programBenchmarks } from './program.ts';
import { rngBenchmarks } from './rng.ts';
import { storeBenchmarks } from './store.ts';

/** All benchmarks, in the order they run. */
export const benchmarks: readonly Benchmark[] = [
  ...rngBenchmarks,
  ...emulatorBenchmarks,
  ...inferBenchmarks,
  ...programBenchmarks,
  ...linkBenchmarks,
  ...storeBenchmarks,
];
