/** Benchmarks of the emulator's seeded random numbers. */
import { Rng } from '../../../drivers/emulator/rng.ts';
import { measureRate } from '../harness.ts';
import type { Benchmark } from '../harness.ts';

/**
 * One noisy full-array MVM draws one normal per column (design.md §3), so the emulator's
 * 100,000 MVM/s target needs 256 × 100,000 = 25.6 M normals/s from this generator.
 */
const NORMALS_FOR_MVM_TARGET = 256 * 100_000;

/** `rng.normal_per_s`: standard normals per second from `Rng.normal()`, one core. */
export const rngBenchmarks: Benchmark[] = [
  {
    name: 'rng.normal_per_s',
    description: 'standard normals per second from the seeded ziggurat Rng.normal(), one core',
    async run() {
      const rng = new Rng(1);
      let sum = 0;
      let sumSq = 0;
      let count = 0;
      const rate = await measureRate(
        (n) => {
          for (let i = 0; i < n; i++) {
            const x = rng.normal();
            sum += x;
            sumSq += x * x;
          }
          count += n;
        },
        { initialUnits: 1024 },
      );
      const mean = sum / count;
      // Sanity figures in the JSON: a fast generator that stopped being N(0, 1) is no win.
      return {
        value: rate.perS,
        unit: 'normals/s',
        higherIsBetter: true,
        target: NORMALS_FOR_MVM_TARGET,
        samples: count,
        mean,
        std: Math.sqrt(sumSq / count - mean * mean),
      };
    },
  },
];
