/**
 * `evaluate`: run a split of the dataset through the deployed network on the chip (src/
 * inference/: pulses at the precision in force, layer chaining through the in-situ activation,
 * optional per-column calibration) and score it: metric `accuracy.<stage>` (fraction), energy
 * and chip time. With `hidden: true` only the first layer runs and its activations — the next
 * layer's input pulses — are kept for chip-in-the-loop fine-tuning. One unit per batch.
 */
import { chipSizedParts } from '../../inference/chip-sized-parts.ts';
import { toArray } from 'rxjs';
import type { ChipInfo } from '../../../drivers/driver.ts';
import { argmax } from '../../inference/accuracy.ts';
import type { IfcModel } from '../../inference/ifc-model.ts';
import { hiddenPulses } from '../../inference/in-situ-activation.ts';
import { infer, type NetworkLayer } from '../../inference/infer.ts';
import { observe } from '../../pipeline/observe.ts';
import type { ColumnCalibration } from '../../pipeline/calibrate.ts';
import type { PlacedLayer } from '../../programming/placement.ts';
import { toPulses } from '../../dataset/dataset.ts';
import type { Measurement } from '../../store/measurement.ts';
import type { StepOf } from '../campaign-schema.ts';
import type { StepRunner } from '../step-runner.ts';
import {
  datasetFor,
  lastCalibration,
  lastDeployment,
  lastNoiseModel,
  measuredIfc,
  splitSize,
} from './closed-loop-state.ts';

/** The evaluate step. */
export function evaluateStep(s: StepOf<'evaluate'>): StepRunner {
  const samples = splitSize(s.dataset, s.split);
  const units = Math.ceil(samples / s.batch);
  let layers: NetworkLayer[] = [];
  let model: IfcModel | undefined;
  let pulses: Uint8Array | undefined;
  let labels: Int32Array | undefined;
  let calibration: ColumnCalibration | undefined;
  return {
    units,
    touchesChip: true,
    async enter(ctx) {
      const earlier = ctx.earlier();
      const deployment = lastDeployment(earlier);
      const readout = await observe(ctx.driver.readout(), { signal: ctx.signal, first: true });
      const noise = lastNoiseModel(earlier);
      model = noise?.data.columns?.countsPerMicroSPulse
        ? measuredIfc(noise, readout.precisionBits)
        : {
            countsPerMicroSPulse: 1,
            saturationCount: Infinity,
            precisionBits: readout.precisionBits,
          };
      calibration = s.calibrated ? lastCalibration(earlier) : undefined;
      if (s.calibrated && !calibration)
        throw new Error('calibrated: true needs a calibrate step before this one');
      layers = deployment.layers.map((l): NetworkLayer => {
        const placed: PlacedLayer = {
          name: l.name,
          inputs: l.inputs,
          outputs: l.outputs,
          scheme: 'twin-column',
          region: l.region,
          rows: Array.from({ length: l.region.rows }, (_, i) => l.region.row + i),
          cols: Array.from({ length: l.region.cols }, (_, j) => l.region.col + j),
        };
        return { layer: placed, ...(calibration && { calibration }) };
      });
      if (s.hidden) layers = layers.slice(0, 1);
      const ds = datasetFor(s.dataset)[s.split];
      pulses = toPulses(ds.x, readout.precisionBits);
      labels = ds.labels;
    },
    async unit(u, ctx) {
      const first = u * s.batch;
      const n = Math.min(s.batch, samples - first);
      const k = layers[0]!.layer.inputs;
      const inputs = pulses!.slice(first * k, (first + n) * k);
      const parts = chipSizedParts(inputs, n, k, ctx.chip.limits.maxMvmBatch);
      const outputs = await observe(
        infer(ctx.driver, layers, parts, { model: model! }).pipe(toArray()),
        {
          signal: ctx.signal,
        },
      );
      const end = layers.at(-1)!;
      const counts = new Uint8Array(n * end.layer.cols.length);
      const classes = end.layer.outputs;
      const scores = new Float32Array(n * classes);
      let energyJ = 0;
      let latencyS = 0;
      let at = 0;
      for (const o of outputs) {
        counts.set(o.counts, at * end.layer.cols.length);
        if (!s.hidden) scores.set(o.differential, at * classes);
        at += o.batch;
        energyJ += o.energyJ;
        latencyS += o.latencyS;
      }
      const batchLabels = labels!.slice(first, first + n);
      ctx.progress(u + 1, units, `${first + n}/${samples} samples`);
      const out: Measurement[] = [
        {
          kind: 'mvm',
          firstSample: first,
          rows: layers[0]!.layer.rows,
          cols: end.layer.cols,
          inputs,
          labels: batchLabels,
          result: {
            mode: 'COUNT',
            precisionBits: model!.precisionBits,
            batch: n,
            values: counts,
            energyJ,
            latencyS,
          },
        },
      ];
      if (s.hidden)
        out.push({
          kind: 'artifact',
          name: 'hidden',
          data: hiddenPulses(end.layer, counts, {
            model: model!,
            ...(calibration && { calibration }),
            precisionBits: model!.precisionBits,
          }),
          shape: [n, end.layer.outputs],
          meta: { first, labels: Array.from(batchLabels) },
        });
      else
        out.push({
          kind: 'artifact',
          name: 'predictions',
          data: Int32Array.from(argmax(scores, classes)),
          meta: { first },
        });
      return out;
    },
    finish(all) {
      let correct = 0;
      let total = 0;
      let energyJ = 0;
      let chipTimeS = 0;
      const truth = new Map<number, Int32Array>();
      for (const m of all)
        if (m.kind === 'mvm') {
          truth.set(m.firstSample, m.labels!);
          energyJ += m.result.energyJ;
          chipTimeS += m.result.latencyS;
          total += m.result.batch;
        }
      for (const m of all)
        if (m.kind === 'artifact' && m.name === 'predictions') {
          const first = (m.meta as { first: number }).first;
          const y = truth.get(first)!;
          m.data.forEach((p, i) => (correct += p === y[i] ? 1 : 0));
        }
      const measurements: Measurement[] = [
        {
          kind: 'metric',
          name: 'energy_per_inference_j',
          value: energyJ / Math.max(1, total),
          unit: 'J',
        },
        { kind: 'metric', name: 'chip_time_s', value: chipTimeS, unit: 's' },
      ];
      const acc = correct / Math.max(1, total);
      if (!s.hidden)
        measurements.push({
          kind: 'metric',
          name: `accuracy.${s.stage}`,
          value: acc,
          unit: 'fraction',
        });
      return {
        summary: {
          stage: s.stage,
          split: s.split,
          samples: total,
          ...(!s.hidden && { accuracy: acc }),
          calibrated: s.calibrated,
          energyPerInferenceJ: energyJ / Math.max(1, total),
          chipTimeS,
        },
        measurements,
      };
    },
    check: (_chip: ChipInfo, readout) => readout,
    estimateS: (chip) => (samples * 2 * (2 ** 8 * 2 + 40)) / chip.clockHz,
  };
}
