/**
 * `infer.mvm_per_s`: full-array (256×256) 8-bit MVMs per second streamed through the inference
 * pipeline (`infer`: pull-based batches, layer request, decode of 128 twin-column outputs) on
 * the default emulated profile. The driver's own rate is measured in the same run on the same
 * chip, as the baseline: the pipeline must keep ≥ 80% of it (the target is set from it).
 */
import { firstValueFrom, lastValueFrom, map } from 'rxjs';
import type { ChipDriver } from '../../../drivers/driver.ts';
import { openChip } from '../../../drivers/factory.ts';
import { deployLayer } from '../../inference/deploy-layer.ts';
import { infer } from '../../inference/infer.ts';
import { seededRandom } from '../../pipeline/seeded-random.ts';
import { mapWeights } from '../../programming/mapping.ts';
import { placeLayers, type PlacedLayer } from '../../programming/placement.ts';
import type { Benchmark, BenchResult } from '../harness.ts';

const BATCH = 4096;
/** Alternating rounds of each measurement; the best of each is kept (the host is shared). */
const ROUNDS = 3;
const MIN_S = 1.5;

async function setup(): Promise<{ chip: ChipDriver; layer: PlacedLayer; inputs: Uint8Array }> {
  const chip = await openChip({ emulator: true, seed: 7 });
  const layer = placeLayers([{ name: 'full', inputs: 256, outputs: 128 }]).layers[0]!;
  const u = seededRandom(3);
  const w = Float32Array.from({ length: 256 * 128 }, () => u() - 0.5);
  await lastValueFrom(deployLayer(chip, layer, mapWeights(w, 256, 128)));
  const r = seededRandom(11);
  const inputs = Uint8Array.from({ length: BATCH * 256 }, () => Math.floor(r() * 256));
  return { chip, layer, inputs };
}

/** Batches of the same inputs until `minS` has passed since the first was read. */
function* timedBatches(inputs: Uint8Array, minS: number, counter: { batches: number; t0: number }) {
  counter.t0 = performance.now();
  while (performance.now() - counter.t0 < minS * 1000) {
    counter.batches++;
    yield inputs;
  }
}

async function driverRate(chip: ChipDriver, layer: PlacedLayer, inputs: Uint8Array) {
  const once = () => firstValueFrom(chip.mvm({ rows: layer.rows, cols: layer.cols, inputs }));
  await once();
  let mvms = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < MIN_S * 1000) {
    await once();
    mvms += BATCH;
  }
  return mvms / ((performance.now() - t0) / 1000);
}

async function pipelineRate(chip: ChipDriver, layer: PlacedLayer, inputs: Uint8Array) {
  // A nominal readout model: decode costs the same whatever its constants.
  const model = { countsPerMicroSPulse: 1 / 256, saturationCount: 1024, precisionBits: 8 };
  const run = async (minS: number) => {
    const counter = { batches: 0, t0: 0 };
    await lastValueFrom(
      // Reading `differential` is what makes the pipeline decode each batch.
      infer(chip, [{ layer }], timedBatches(inputs, minS, counter), { model, inFlight: 2 }).pipe(
        map((o) => o.differential),
      ),
      { defaultValue: undefined },
    );
    return (counter.batches * BATCH) / ((performance.now() - counter.t0) / 1000);
  };
  await run(0.2);
  return run(MIN_S);
}

export const inferBenchmarks: Benchmark[] = [
  {
    name: 'infer.mvm_per_s',
    description:
      'full-array 8-bit MVMs per second streamed through the inference pipeline (infer: pull-based batches of 4096, twin-column decode), default emulated profile, vs EmulatorDriver.mvm in the same run',
    async run(): Promise<BenchResult> {
      const { chip, layer, inputs } = await setup();
      try {
        let baseline = 0;
        let perS = 0;
        for (let r = 0; r < ROUNDS; r++) {
          baseline = Math.max(baseline, await driverRate(chip, layer, inputs));
          perS = Math.max(perS, await pipelineRate(chip, layer, inputs));
        }
        return {
          value: perS,
          unit: 'MVM/s',
          higherIsBetter: true,
          target: 0.8 * baseline,
          baselineMvmPerS: baseline,
          ratio: perS / baseline,
          batch: BATCH,
          rounds: ROUNDS,
        };
      } finally {
        await chip.close();
      }
    },
  },
];
