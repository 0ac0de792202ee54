/**
 * Benchmarks of the emulated macro. They are written beside the emulator, in
 * drivers/emulator/benchmarks.ts, because they measure its internals; this file registers them.
 */
import { emulatorBenchmarks as fromDrivers } from '../../../drivers/emulator/benchmarks.ts';
import type { Benchmark } from '../harness.ts';

/** `emulator.mvm_per_s`, `emulator.mvm_per_s.reference`, `emulator.memory_mib`. */
export const emulatorBenchmarks: Benchmark[] = fromDrivers;
