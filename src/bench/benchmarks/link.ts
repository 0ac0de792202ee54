/**
 * Benchmarks of the serial link. They are written beside the serial driver, in
 * drivers/serial/benchmarks.ts, because they measure its internals; this file registers them.
 */
import { linkBenchmarks as fromDrivers } from '../../../drivers/serial/benchmarks.ts';
import type { Benchmark } from '../harness.ts';

/** `link.efficiency`, `link.payload_efficiency`, `link.pty_mvm_per_s`. */
export const linkBenchmarks: Benchmark[] = fromDrivers;
