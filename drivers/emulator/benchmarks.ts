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
/** Vectors in the realistic input set (cycled through). */
const INPUT_VECTORS = 4096;
/** Read settings of the inference pipeline for a full-array layer (counts spread below the clip). */
const READ_V = 0.05;
const VTH_V = 1.0;
/** Alternating rounds per measurement; the best of each is kept (the host is shared). */
const ROUNDS = 2;

/**
 * Network-like targets: Laplace-distributed weights of a 256 → 128 layer, mapped to twin columns
 * (G+ in even, G− in odd columns) with the 95th percentile of |W| at gMax, one cell of each pair
 * at gMin (design.md §3) — most cells sit at the bottom of the window, as in a trained network.
 */
function networkTargets(seed: number): Float32Array {
  const rng = new Rng(seed);
  const w = Float64Array.from({ length: 256 * 128 }, () => {
    const u = rng.uniform() - 0.5;
    return -Math.sign(u) * Math.log(1 - 2 * Math.abs(u));
  });
  const p95 = Float64Array.from(w, Math.abs).sort()[Math.floor(0.95 * w.length)]!;
  const g = new Float32Array(65536);
  for (let i = 0; i < 256; i++) {
    for (let c = 0; c < 128; c++) {
      const v = Math.min(1, Math.abs(w[i * 128 + c]!) / p95) * 39;
      g[i * 256 + 2 * c] = 1 + (w[i * 128 + c]! > 0 ? v : 0);
      g[i * 256 + 2 * c + 1] = 1 + (w[i * 128 + c]! < 0 ? v : 0);
    }
  }
  return g;
}

/**
 * Activation-like inputs: 80% zeros (ReLU outputs, background pixels), the rest uniform over
 * 1–255 — mean 13% of full scale, the datasheet's MNIST activity.
 */
function networkInputs(vectors: number, seed: number): Uint8Array {
  const rng = new Rng(seed);
  return Uint8Array.from({ length: vectors * 256 }, () =>
    rng.uniform() < 0.8 ? 0 : 1 + Math.floor(rng.uniform() * 255),
  );
}

/** A formed chip write-verified to network targets, read at the inference settings. */
async function networkChip(
  kernel?: 'reference',
  seed = 7,
): Promise<{ chip: EmulatorDriver; setupS: number }> {
  const t0 = performance.now();
  const chip = await EmulatorDriver.create({ seed, kernel });
  await firstValueFrom(chip.form({ region: FULL }));
  await lastValueFrom(chip.program({ region: FULL, targetsMicroS: networkTargets(seed) }));
  await firstValueFrom(chip.configure({ readV: READ_V, vthV: VTH_V }));
  return { chip, setupS: (performance.now() - t0) / 1000 };
}

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

/** Count statistics of MVM outputs: mean, and the fraction at the clip (2^b − 1). */
function countStats(values: Uint8Array, top = 255) {
  let sum = 0;
  let clipped = 0;
  for (const v of values) {
    sum += v;
    if (v === top) clipped++;
  }
  return { meanCount: sum / values.length, clippedFraction: clipped / values.length };
}

/**
 * Full-array 8-bit MVMs per second through EmulatorDriver.mvm on `chips` (round robin, one
 * call of `batch` vectors each), cycling through `inputs`, timed for at least `minS`.
 */
async function mvmRate(chips: EmulatorDriver[], inputs: Uint8Array, batch: number, minS: number) {
  const slices: Uint8Array[] = [];
  for (let o = 0; o + batch * 256 <= inputs.length; o += batch * 256)
    slices.push(inputs.subarray(o, o + batch * 256));
  const builds0 = chips.reduce((s, c) => s + c.macro.mapBuilds, 0);
  let calls = 0;
  let last: MvmResult | undefined;
  const call = () =>
    firstValueFrom(
      chips[calls % chips.length]!.mvm({
        rows: ALL,
        cols: ALL,
        inputs: slices[calls++ % slices.length]!,
      }),
    );
  for (let i = 0; i < chips.length * 2; i++) await call(); // warm-up: JIT, sub-matrices
  calls = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  while (performance.now() - t0 < minS * 1000) last = await call();
  const seconds = (performance.now() - t0) / 1000;
  // CPU time of this process: what the calls cost when the host is shared (wall time includes
  // waiting for a core).
  const cpu = process.cpuUsage(cpu0);
  const builds = chips.reduce((s, c) => s + c.macro.mapBuilds, 0) - builds0;
  return {
    perS: (calls * batch) / seconds,
    usPerCall: (seconds / calls) * 1e6,
    cpuUsPerCall: (cpu.user + cpu.system) / calls,
    cpuShare: (cpu.user + cpu.system) / 1e6 / seconds,
    calls,
    mapRebuildsPerCall: builds / calls,
    ...(last ? countStats(last.values) : { meanCount: NaN, clippedFraction: NaN }),
  };
}

/** Best of ROUNDS alternating measurements of the fast and the reference chips. */
async function compare(
  fast: EmulatorDriver[],
  reference: EmulatorDriver[],
  inputs: Uint8Array,
  batch: number,
  minS: number,
) {
  let best: Awaited<ReturnType<typeof mvmRate>> | undefined;
  let ref: Awaited<ReturnType<typeof mvmRate>> | undefined;
  for (let r = 0; r < ROUNDS; r++) {
    const f = await mvmRate(fast, inputs, batch, minS);
    const g = await mvmRate(reference, inputs, batch, minS);
    if (!best || f.perS > best.perS) best = f;
    if (!ref || g.perS > ref.perS) ref = g;
  }
  return { fast: best!, reference: ref! };
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
      'full-array 8-bit MVMs/s, batches of 4096, EmulatorDriver with read noise and the IFC, network-mapped conductances and activation-like inputs (counts spread below the clip), vs the plain TypeScript kernel in the same run',
    async run(): Promise<Result> {
      const fast = await networkChip();
      const ref = await networkChip('reference');
      const inputs = networkInputs(INPUT_VECTORS, 11);
      try {
        const r = await compare([fast.chip], [ref.chip], inputs, BATCH, 3);
        return {
          value: r.fast.perS,
          unit: 'MVM/s',
          higherIsBetter: true,
          target: 100_000,
          referenceMvmPerS: r.reference.perS,
          speedup: r.fast.perS / r.reference.perS,
          cpuMvmPerS: (BATCH * 1e6) / r.fast.cpuUsPerCall,
          referenceCpuMvmPerS: (BATCH * 1e6) / r.reference.cpuUsPerCall,
          cpuShare: r.fast.cpuShare,
          meanCount: r.fast.meanCount,
          clippedFraction: r.fast.clippedFraction,
          physicalMacroMvmPerS: 1.52e-3 / 0.257e-12 / 65536,
          batch: BATCH,
          setupS: fast.setupS,
        };
      } finally {
        await fast.chip.close();
        await ref.chip.close();
      }
    },
  },
  {
    name: 'emulator.batch1_us',
    description:
      'µs per EmulatorDriver.mvm call of one full-array vector (chip-in-the-loop, interactive use), network workload, wall clock, vs the plain TypeScript kernel in the same run',
    async run(): Promise<Result> {
      const fast = await networkChip();
      const ref = await networkChip('reference');
      const inputs = networkInputs(INPUT_VECTORS, 12);
      try {
        const r = await compare([fast.chip], [ref.chip], inputs, 1, 2);
        // Where the time goes, measured in the same run: the macro's own MVM (no driver), and a
        // driver round trip that does nothing (identify) — the share a loaded host inflates.
        const macro = fast.chip.macro;
        const vectors = inputs.length / 256;
        let k = 0;
        const t0 = performance.now();
        while (performance.now() - t0 < 500) {
          for (let i = 0; i < 100; i++, k++)
            macro.mvm(ALL, ALL, inputs.subarray((k % vectors) * 256, ((k % vectors) + 1) * 256), 1);
        }
        const macroUs = ((performance.now() - t0) * 1000) / k;
        let m = 0;
        const t1 = performance.now();
        while (performance.now() - t1 < 500) {
          await firstValueFrom(fast.chip.identify());
          m++;
        }
        const roundTripUs = ((performance.now() - t1) * 1000) / m;
        return {
          value: r.fast.usPerCall,
          macroUs,
          driverRoundTripUs: roundTripUs,
          unit: 'µs',
          higherIsBetter: false,
          target: 100,
          referenceUs: r.reference.usPerCall,
          cpuUsPerCall: r.fast.cpuUsPerCall,
          referenceCpuUsPerCall: r.reference.cpuUsPerCall,
          cpuShare: r.fast.cpuShare,
          speedup: r.reference.usPerCall / r.fast.usPerCall,
          mvmPerS: r.fast.perS,
          meanCount: r.fast.meanCount,
          mapRebuildsPerCall: r.fast.mapRebuildsPerCall,
          calls: r.fast.calls,
        };
      } finally {
        await fast.chip.close();
        await ref.chip.close();
      }
    },
  },
  {
    name: 'emulator.chips16_mvm_per_s',
    description:
      'MVMs/s over 16 emulated chips in one process on the wall clock, round robin, batches of 16, network workload (map-rebuild cliff check), vs the plain TypeScript kernel and vs one chip in the same run',
    async run(): Promise<Result> {
      const chips: EmulatorDriver[] = [];
      const refs: EmulatorDriver[] = [];
      try {
        for (let i = 0; i < 16; i++) chips.push((await networkChip(undefined, 100 + i)).chip);
        for (let i = 0; i < 16; i++) refs.push((await networkChip('reference', 100 + i)).chip);
        const inputs = networkInputs(INPUT_VECTORS, 13);
        const r = await compare(chips, refs, inputs, 16, 2);
        // One chip, alternated with 16 in the same rounds (a shared host's load drifts).
        let one = await mvmRate([chips[0]!], inputs, 16, 2);
        for (let k = 1; k < ROUNDS; k++) {
          const again16 = await mvmRate(chips, inputs, 16, 2);
          if (again16.perS > r.fast.perS) r.fast = again16;
          const again1 = await mvmRate([chips[0]!], inputs, 16, 2);
          if (again1.perS > one.perS) one = again1;
        }
        return {
          value: r.fast.perS,
          unit: 'MVM/s',
          higherIsBetter: true,
          // No cliff: 16 chips keep at least 80% of one chip's rate.
          target: 0.8 * one.perS,
          oneChipMvmPerS: one.perS,
          ratioToOneChip: r.fast.perS / one.perS,
          referenceMvmPerS: r.reference.perS,
          cpuMvmPerS: (16 * 1e6) / r.fast.cpuUsPerCall,
          mapRebuildsPerCall: r.fast.mapRebuildsPerCall,
          meanCount: r.fast.meanCount,
          batch: 16,
        };
      } finally {
        await Promise.all([...chips, ...refs].map((c) => c.close()));
      }
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
      await mvmRate([warm.chip], randomInputs(BATCH * 256), BATCH, 0.2);
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
      // Plus what is derived and not saved: the relaxation-walk cache (1 + 8 + 8 bytes per
      // cell) and the plain-kernel copies of the read sub-matrix and its variance (4 + 4).
      const derived = 65536 * (17 + 8);
      const accounted =
        arrays.reduce((s, a) => s + a.byteLength, 0) + 256 * 256 * 4 + derived + kernelTensors;
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
