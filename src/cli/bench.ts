/** `rram-bench bench`: the benchmark harness, the same as `npm run bench`. */
import { benchUsage } from '../bench/bench-usage.ts';
import type { Command } from './command.ts';

/** The `bench` command. */
export const bench: Command = {
  path: ['bench'],
  summary: 'run the benchmarks, print a table, write JSON results',
  usage: benchUsage,
  run: async (args, ctx) => (await import('../bench/run-bench.ts')).runBench(args, ctx),
};
