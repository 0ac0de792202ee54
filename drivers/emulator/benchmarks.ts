/**
 * Benchmarks of the emulated macro. They live beside the emulator (src/ reaches implementations
 * only through the factory) and have the shape of src/bench's `Benchmark`.
 */
import { firstValueFrom, lastValueFrom } from 'rxjs';
import type { MvmResult, Region } from '../driver.ts';
import { EmulatorDriver } from './emulator-driver.ts';
import { Rng } from './rng.ts';

/** What one benchmark reports (see src/bench/harness.ts). */
interface Result {
  value: number;
  unit: string;
  higherIsBetter: boolean;
  target?: number;
  [extra: string]: unknown;
}

const FULL: Region = { row: 0, col: 0, rows: 256, cols: 256 };
const ALL = Array.from({ length: 256 }, (_, i) => i);
const BATCH = 4096;

/** A formed default chip with every cell write-verified to a random target in [1, 40] µS. */
async function programmedChip(
  kernel?: 'reference',
): Promise<{ chip: EmulatorDriver; setupS: number }> {
  const t0 = performance.now();
  const chip = await EmulatorDriver.create({ seed: 7, kernel });
  await firstValueFrom(chip.form({ region: FULL }));
  const rng = new Rng(3);
  const targets = Float32Array.from({ length: 65536 }, () => 1 + 39 * rng.uniform());
  await lastValueFrom(chip.program({ region: FULL, targetsMicroS: targets }));
  return { chip, setupS: (performance.now() - t0) / 1000 };
}

function randomInputs(n: number): Uint8Array {
  const rng = new Rng(11);
  return Uint8Array.from({ length: n }, () => rng.nextU32() & 255);
}

/** Full-array 8-bit MVMs per second through EmulatorDriver.mvm, timed for at least `minS`. */
async function mvmRate(chip: EmulatorDriver, batch: number, minS: number) {
  const inputs = randomInputs(batch * 256);
  const once = () => firstValueFrom(chip.mvm({ rows: ALL, cols: ALL, inputs }));
  await once(); // warm-up: JIT, weight upload
  let mvms = 0;
  let last: MvmResult | undefined;
  const t0 = performance.now();
  while (performance.now() - t0 < minS * 1000) {
    const out = await once();
    mvms += batch;
    last = out;
  }
  const perS = mvms / ((performance.now() - t0) / 1000);
  // Outside the timed loop: the mean count shows whether the readout saturated.
  const meanCount = last ? last.values.reduce((s, v) => s + v, 0) / last.values.length : NaN;
  return { perS, mvms, meanCount };
}

/** Collect garbage until the heap stops shrinking (array buffers are freed lazily). */
async function settle(gc: (() => void) | undefined): Promise<void> {
  if (!gc) return;
  for (let i = 0; i < 5; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
}

function mib(bytes: number): number {
  return bytes / 2 ** 20;
}

/**
 * One noisy full-array MVM draws one normal per column (design.md §3), so the emulator's
 * 100,000 MVM/s target needs 256 × 100,000 = 25.6 M normals/s from the generator.
 */
const NORMALS_FOR_MVM_TARGET = 256 * 100_000;

export const emulatorBenchmarks = [
  {
    name: 'rng.normal_per_s',
    description: 'standard normals per second from the seeded ziggurat Rng.normal(), one core',
    run(): Promise<Result> {
      const rng = new Rng(1);
      let sum = 0;
      let sumSq = 0;
      let count = 0;
      const batch = (n: number) => {
        for (let i = 0; i < n; i++) {
          const x = rng.normal();
          sum += x;
          sumSq += x * x;
        }
        count += n;
      };
      batch(1 << 20); // warm-up: the JIT compiles the hot path
      [sum, sumSq, count] = [0, 0, 0];
      const t0 = performance.now();
      while (performance.now() - t0 < 1000) batch(1 << 20);
      const seconds = (performance.now() - t0) / 1000;
      const mean = sum / count;
      // Sanity figures in the JSON: a fast generator that stopped being N(0, 1) is no win.
      return Promise.resolve({
        value: count / seconds,
        unit: 'normals/s',
        higherIsBetter: true,
        target: NORMALS_FOR_MVM_TARGET,
        samples: count,
        mean,
        std: Math.sqrt(sumSq / count - mean * mean),
      });
    },
  },
  {
    name: 'emulator.mvm_per_s',
    description:
      'batched full-array (256×256) 8-bit MVMs per second with read noise and IFC readout, EmulatorDriver, tfjs-wasm kernel, one core',
    async run(): Promise<Result> {
      const { chip, setupS } = await programmedChip();
      const { perS, mvms, meanCount } = await mvmRate(chip, BATCH, 5);
      await chip.close();
      return {
        value: perS,
        unit: 'MVM/s',
        higherIsBetter: true,
        target: 100_000,
        physicalMacroMvmPerS: 1.52e-3 / 0.257e-12 / 65536,
        batch: BATCH,
        mvms,
        meanCount,
        setupS,
      };
    },
  },
  {
    name: 'emulator.mvm_per_s.reference',
    description: 'the same MVMs with the plain-TypeScript reference kernel, for comparison',
    async run(): Promise<Result> {
      const { chip } = await programmedChip('reference');
      const { perS, mvms } = await mvmRate(chip, 256, 3);
      await chip.close();
      return { value: perS, unit: 'MVM/s', higherIsBetter: true, batch: 256, mvms };
    },
  },
  {
    name: 'emulator.memory_mib',
    description:
      'memory held by one programmed emulated macro (JS heap + array buffers + kernel tensors)',
    async run(): Promise<Result> {
      const gc = (globalThis as { gc?: () => void }).gc;
      // Bring the kernel's WebAssembly heap to its working size first: it is shared by all chips.
      const warm = await programmedChip();
      await mvmRate(warm.chip, BATCH, 0.2);
      await warm.chip.close();
      await settle(gc);
      // Several chips held at once, so that one chip's share stands out of the heap's noise.
      const count = 4;
      const before = process.memoryUsage();
      const chips: EmulatorDriver[] = [];
      for (let i = 0; i < count; i++) {
        const { chip } = await programmedChip();
        await firstValueFrom(chip.mvm({ rows: ALL, cols: ALL, inputs: randomInputs(256) }));
        chips.push(chip);
      }
      await settle(gc);
      const after = process.memoryUsage();
      const heap = (after.heapUsed - before.heapUsed) / count;
      const external = (after.external - before.external) / count;
      // Weight tensors live in the kernel's already-grown WebAssembly heap: count them explicitly.
      const kernelTensors = 2 * 256 * 256 * 4;
      const measured = heap + external + kernelTensors;
      // The same by accounting: every typed array one chip holds (the state it would save,
      // the conductance map cache, and the kernel's copies of the two weight matrices).
      const state = chips[0]!.macro.toState();
      const arrays = [...Object.values(state.cells), state.gain, state.offset].filter((v) =>
        ArrayBuffer.isView(v),
      );
      const accounted =
        arrays.reduce((s, a) => s + a.byteLength, 0) + 256 * 256 * 4 + kernelTensors;
      const bytes = Math.max(measured, accounted);
      await Promise.all(chips.map((c) => c.close()));
      return {
        value: mib(bytes),
        unit: 'MiB',
        higherIsBetter: false,
        target: 8,
        measuredMib: mib(measured),
        accountedMib: mib(accounted),
        heapMib: mib(heap),
        externalMib: mib(external),
        kernelTensorsMib: mib(kernelTensors),
        gcExposed: gc !== undefined,
      };
    },
  },
];
