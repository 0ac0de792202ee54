/**
 * The benchmark registry: every benchmark `npm run bench` knows, in run order. To add some,
 * export a `Benchmark[]` from a file beside this one and spread it into the list. Benchmarks of
 * the drivers' internals live beside the drivers and come through the factory.
 */
import { loadDriverBenchmarks } from '../../../drivers/factory.ts';
import type { Benchmark } from '../harness.ts';
import { closedLoopBenchmarks } from './closed-loop.ts';
import { hostileLinkBenchmarks } from './hostile-link.ts';
import { cliBenchmarks } from './cli.ts';
import { inferBenchmarks } from './infer.ts';
import { programBenchmarks } from './program.ts';
import { reportBenchmarks } from './report.ts';
import { storeBenchmarks } from './store.ts';

const { emulatorBenchmarks, linkBenchmarks } = await loadDriverBenchmarks();

/** All benchmarks, in the order they run. */
export const benchmarks: readonly Benchmark[] = [
  ...emulatorBenchmarks,
  ...inferBenchmarks,
  ...programBenchmarks,
  ...linkBenchmarks,
  ...hostileLinkBenchmarks,
  ...storeBenchmarks,
  ...closedLoopBenchmarks,
  ...reportBenchmarks,
  ...cliBenchmarks,
];
