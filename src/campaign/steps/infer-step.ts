/**
 * `infer`: stream a dataset through the programmed region with the inference pipeline
 * (src/inference/: `encodeInputs` at the precision in force, `infer` with backpressure,
 * decoding, `accuracy`), one unit of work per batch; store inputs, counts and labels.
 * Decoding: `columns` — class c is column c (the `prototypes` pattern); `twin-columns` — class c
 * is the differential pair (2c, 2c+1) (signed weights as G+ − G−). Counts are linearised with a
 * linear readout model: ranking classes needs no measured transfer curve.
 * Datasets: `synthetic` now; MNIST arrives with a later issue.
 */
import { chipSizedParts } from '../../inference/chip-sized-parts.ts';
import { toArray } from 'rxjs';
import type { ChipInfo, ReadoutConfig } from '../../../drivers/driver.ts';
import { BenchError } from '../../../drivers/driver.ts';
import { checkConfigure, checkMvm } from '../../../drivers/limits.ts';
import { accuracy } from '../../inference/accuracy.ts';
import { encodeInputs } from '../../inference/encode.ts';
import { linearizeCounts, topCount, type IfcModel } from '../../inference/ifc-model.ts';
import { infer } from '../../inference/infer.ts';
import { decodeDifferential } from '../../inference/layer-io.ts';
import { observe } from '../../pipeline/observe.ts';
import type { PlacedLayer } from '../../programming/placement.ts';
import type { MvmMeasurement } from '../../store/measurement.ts';
import type { StepOf } from '../campaign-schema.ts';
import type { StepRunner } from '../step-runner.ts';
import { syntheticDataset } from '../synthetic-dataset.ts';
import { windowAt } from './simple-steps.ts';

/** The infer step. */
export function inferStep(s: StepOf<'infer'>): StepRunner {
  const { region, dataset: spec } = s;
  const rows = Array.from({ length: region.rows }, (_, i) => region.row + i);
  const cols = Array.from({ length: region.cols }, (_, j) => region.col + j);
  const units = Math.ceil(spec.samples / s.batch);
  const change: Partial<ReadoutConfig> = { ...s.readout };
  const classes = spec.classes;
  const outputsNeeded = s.decode === 'columns' ? classes : 2 * classes;
  // The region as one twin-column layer: every row driven, every column read. With `columns`
  // decoding its differential outputs are not used.
  const layer: PlacedLayer = {
    name: s.name ?? 'infer',
    inputs: region.rows,
    outputs: s.decode === 'twin-columns' ? classes : Math.max(1, Math.floor(region.cols / 2)),
    scheme: 'twin-column',
    region,
    rows,
    cols,
  };
  let pulses: Uint8Array | undefined;
  let labels: Int32Array | undefined;
  let readout: ReadoutConfig | undefined;
  const linear = (bits: number): IfcModel => ({
    countsPerMicroSPulse: 1,
    saturationCount: Infinity,
    precisionBits: bits,
  });
  /** Class scores (`batch × classes`) of one stored batch. */
  const scores = (m: MvmMeasurement): Float32Array => {
    const model = linear(m.result.precisionBits);
    const out = new Float32Array(m.result.batch * classes);
    if (s.decode === 'twin-columns') {
      const d = decodeDifferential(layer, m.result.values, { model });
      for (let v = 0; v < m.result.batch; v++)
        out.set(d.subarray(v * layer.outputs, v * layer.outputs + classes), v * classes);
    } else {
      const q = linearizeCounts(m.result.values, model);
      const k = m.cols.length;
      for (let v = 0; v < m.result.batch; v++)
        out.set(q.subarray(v * k, v * k + classes), v * classes);
    }
    return out;
  };
  return {
    units,
    touchesChip: true,
    async enter(ctx) {
      if (Object.keys(change).length > 0)
        await observe(ctx.driver.configure(change), { signal: ctx.signal, first: true });
      readout = await observe(ctx.driver.readout(), { signal: ctx.signal, first: true });
      const data = syntheticDataset(spec, region.rows, ctx.seed);
      // Activations in [0, 1]: one activation unit is full scale at the precision in force.
      pulses = encodeInputs(data.x, topCount(readout.precisionBits), readout.precisionBits);
      labels = data.labels;
    },
    async unit(u, ctx) {
      const first = u * s.batch;
      const n = Math.min(s.batch, spec.samples - first);
      const k = rows.length;
      const inputs = pulses!.slice(first * k, (first + n) * k);
      const parts = chipSizedParts(inputs, n, k, ctx.chip.limits.maxMvmBatch);
      const outputs = await observe(
        infer(ctx.driver, [{ layer }], parts, { model: linear(readout!.precisionBits) }).pipe(
          toArray(),
        ),
        { signal: ctx.signal },
      );
      const values = new Uint8Array(n * cols.length);
      let energyJ = 0;
      let latencyS = 0;
      let at = 0;
      for (const o of outputs) {
        values.set(o.counts, at);
        at += o.counts.length;
        energyJ += o.energyJ;
        latencyS += o.latencyS;
      }
      ctx.progress(u + 1, units, `${first + n}/${spec.samples} vectors`);
      return [
        {
          kind: 'mvm',
          firstSample: first,
          rows,
          cols,
          inputs,
          labels: labels!.slice(first, first + n),
          result: {
            mode: readout!.mode,
            precisionBits: readout!.precisionBits,
            batch: n,
            values,
            energyJ,
            latencyS,
          },
        },
      ];
    },
    finish(all) {
      const batches = all.filter((m): m is MvmMeasurement => m.kind === 'mvm');
      const total = batches.reduce((a, m) => a + m.result.batch, 0);
      const scoreAll = new Float32Array(total * classes);
      const labelAll = new Int32Array(total);
      let energyJ = 0;
      let chipTimeS = 0;
      let at = 0;
      for (const m of batches) {
        scoreAll.set(scores(m), at * classes);
        labelAll.set(m.labels!, at);
        at += m.result.batch;
        energyJ += m.result.energyJ;
        chipTimeS += m.result.latencyS;
      }
      const acc = accuracy(scoreAll, classes, labelAll);
      return {
        summary: { samples: total, accuracy: acc, energyJ, chipTimeS },
        measurements: [
          { kind: 'metric', name: 'accuracy', value: acc, unit: '' },
          { kind: 'metric', name: 'energy_j', value: energyJ, unit: 'J' },
        ],
      };
    },
    check(chip: ChipInfo, readout) {
      const next = checkConfigure(chip, readout, change, windowAt(chip));
      if (outputsNeeded > region.cols)
        throw new BenchError(
          'INVALID_ARGUMENT',
          `${classes} classes decoded as ${s.decode} need ${outputsNeeded} columns; the region has ${region.cols}`,
          { field: 'region.cols' },
        );
      const probe = new Uint8Array(
        Math.min(s.batch, spec.samples, chip.limits.maxMvmBatch) * rows.length,
      );
      checkMvm(chip, { rows, cols, inputs: probe }, next.precisionBits);
      return next;
    },
    estimateS: (chip, readout) => {
      const bits = s.readout?.precisionBits ?? readout.precisionBits;
      return spec.samples * ((2 ** bits + 4) / chip.clockHz);
    },
  };
}
