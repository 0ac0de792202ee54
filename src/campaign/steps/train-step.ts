/**
 * `train`: train (or retrain, or fine-tune) the closed loop's network in software with the
 * chip-modelled forward pass (src/training/), one epoch per unit of work. Each epoch's weights
 * and optimiser state are committed as a checkpoint artifact, so a killed run resumes from the
 * last committed epoch to the same final weights. The end stores the model version (stage,
 * parent), its software accuracy on the test split (`accuracy.software` for the `software`
 * stage), the time per epoch, and with group lasso the rows/columns it freed.
 */
import type { ChipInfo, ReadoutConfig } from '../../../drivers/driver.ts';
import { BenchError } from '../../../drivers/driver.ts';
import { createHash } from 'node:crypto';
import { accuracy, argmax } from '../../inference/accuracy.ts';
import { observe } from '../../pipeline/observe.ts';
import { toPulses } from '../../dataset/dataset.ts';
import type { Measurement } from '../../store/measurement.ts';
import type { StepOf } from '../campaign-schema.ts';
import type { StepContext, StepRunner } from '../step-runner.ts';
import type { TrainConfig, TrainData, TrainState } from '../../training/train-epoch.ts';
import { layerScale, type ChipModel } from '../../training/chip-model.ts';
import { initMlp, packMlp, unpackMlp } from '../../training/mlp.ts';
import { zeroLines } from '../../training/regularizers.ts';
import {
  chipModel,
  datasetFor,
  lastArtifact,
  lastDeployment,
  lastNoiseModel,
  measuredIfc,
  modelOfStage,
  stuckCellsOf,
} from './closed-loop-state.ts';

/** The train step. */
export function trainStep(s: StepOf<'train'>): StepRunner {
  const sizes = s.layers;
  let config: TrainConfig | undefined;
  let data: TrainData | undefined;
  let state: TrainState | undefined;
  let parent: string | undefined;
  let chip: ChipModel | undefined;
  const epochMs: number[] = [];

  const setup = async (ctx: StepContext) => {
    const readout = await observe(ctx.driver.readout(), { signal: ctx.signal, first: true });
    const earlier = ctx.earlier();
    const noise = lastNoiseModel(earlier);
    chip = chipModel(ctx.chip, measuredIfc(noise, readout.precisionBits));
    const ds = datasetFor(s.dataset);
    if (ds.features !== sizes[0])
      throw new BenchError(
        'INVALID_ARGUMENT',
        `the dataset has ${ds.features} features but the network ${sizes[0]} inputs`,
        { field: 'layers' },
      );
    let weights = initMlp(sizes, ctx.seed).weights;
    if (s.from !== undefined) {
      const p = modelOfStage(earlier, s.from);
      weights = unpackMlp(sizes, p.weights).weights;
      parent = s.from;
    }
    const base: TrainConfig = {
      chip,
      sizes,
      seed: ctx.seed,
      batch: s.batch,
      learningRate: s.learningRate,
      ...(s.halfLife !== undefined && { halfLifeEpochs: s.halfLife }),
      temperature: s.temperature,
      groupLasso: s.groupLasso,
      hoyer: s.hoyer,
      pruneMicroS: s.prune,
    };
    if (s.noise === 'measured') {
      if (!noise)
        throw new BenchError(
          'INVALID_ARGUMENT',
          'noise: measured needs a characterize step before',
          {
            field: 'noise',
          },
        );
      const { noiseInjection } = await import('../../training/cell-noise.ts');
      base.noise = noiseInjection(noise, chip, {
        delayS: s.delay,
        scale: s.noiseScale,
        columnScale: s.columnNoise,
      });
    }
    if (s.stuck || s.onChip) {
      const dep = lastDeployment(earlier);
      base.stuck = dep.layers.map((l) => stuckCellsOf(earlier, l, 1));
    }
    if (s.onChip) {
      const measured = lastArtifact(
        earlier,
        'hidden',
        (st) => st.kind === 'evaluate' && st.measurements.some((m) => m.kind === 'artifact'),
      );
      if (!measured)
        throw new BenchError(
          'INVALID_ARGUMENT',
          'onChip needs an evaluate step with hidden: true and split: train before it',
          { field: 'onChip' },
        );
      const parts = measured.artifacts;
      const total = parts.reduce((a, p) => a + p.data.length, 0);
      const pulses = new Uint8Array(total);
      const labels = new Int32Array(total / sizes[1]!);
      let at = 0;
      for (const p of parts) {
        pulses.set(p.data, at);
        const meta = p.meta as { labels: number[]; first: number };
        labels.set(meta.labels, meta.first);
        at += p.data.length;
      }
      data = { pulses, labels };
      base.from = 1;
      base.trainable = sizes.slice(1).map((_, l) => l >= 1);
    } else data = { pulses: toPulses(ds.train.x, readout.precisionBits), labels: ds.train.labels };
    config = base;
    state = { weights };
    // Resume: continue from the newest committed epoch.
    const last = [...ctx.resumed]
      .reverse()
      .find((m) => m.kind === 'artifact' && m.name === 'checkpoint');
    if (last?.kind === 'artifact') state = unpackState(sizes, last.data as Float32Array, last.meta);
  };

  return {
    units: s.epochs,
    touchesChip: false,
    async enter(ctx) {
      await setup(ctx);
    },
    async unit(e, ctx) {
      const { trainEpoch } = await import('../../training/train-epoch.ts');
      const t0 = performance.now();
      const r = await trainEpoch(config!, data!, state!, e);
      const ms = performance.now() - t0;
      epochMs.push(ms);
      state = r.state;
      ctx.progress(e + 1, s.epochs, `epoch ${e + 1}/${s.epochs} loss ${r.loss.toFixed(4)}`);
      const packed = packState(r.state);
      return [
        {
          kind: 'artifact',
          name: 'checkpoint',
          data: packed.data,
          meta: {
            epoch: e,
            loss: r.loss,
            ms,
            iterations: packed.iterations,
            lengths: packed.lengths,
          },
        },
      ];
    },
    async finish(all, ctx) {
      const losses = all.flatMap((m) =>
        m.kind === 'artifact' && m.name === 'checkpoint' ? [(m.meta as { loss: number }).loss] : [],
      );
      const model = { sizes, weights: state!.weights };
      const weights = packMlp(model);
      const ds = datasetFor(s.dataset);
      const readout: ReadoutConfig = await observe(ctx.driver.readout(), {
        signal: ctx.signal,
        first: true,
      });
      const { softwareScores } = await import('../../training/predict.ts');
      const scores = await softwareScores(chip!, model, toPulses(ds.test.x, readout.precisionBits));
      const acc = accuracy(scores, sizes.at(-1)!, ds.test.labels);
      const lines = sizes.slice(1).map((out, l) => zeroLines(model.weights[l]!, sizes[l]!, out));
      const rowsFreed = lines.reduce((a, z) => a + z.rows, 0);
      const colsFreed = lines.reduce((a, z) => a + z.cols, 0);
      // Twin columns: a row of layer l spans 2·outputs cells, a column pair 2·inputs.
      let cellsFreed = 0;
      let macsFreed = 0;
      let macs = 0;
      lines.forEach((z, l) => {
        const k = sizes[l]!;
        const m = sizes[l + 1]!;
        cellsFreed += 2 * (z.rows * m + z.cols * k - z.rows * z.cols);
        macsFreed += z.rows * m + z.cols * k - z.rows * z.cols;
        macs += k * m;
      });
      const meanEpochS = epochMs.length
        ? epochMs.reduce((a, b) => a + b, 0) / epochMs.length / 1000
        : NaN;
      const measurements: Measurement[] = [
        {
          kind: 'model-version',
          name: s.stage,
          stage: s.stage,
          ...(parent !== undefined && { parent }),
          source: `train ${s.stage}${parent ? ` from ${parent}` : ''}`,
          sha256: createHash('sha256').update(Buffer.from(weights.buffer)).digest('hex'),
          shape: sizes,
          weights,
          meta: {
            sizes,
            epochs: s.epochs,
            losses,
            noise: s.noise,
            onChip: s.onChip,
            dataset: s.dataset,
            chip: chip!,
            scales: model.weights.map((w) => layerScale(chip!, w)),
          },
        },
        {
          kind: 'artifact',
          name: 'predictions',
          data: Int32Array.from(argmax(scores, sizes.at(-1)!)),
          meta: { first: 0, software: true },
        },
        { kind: 'metric', name: 'software_accuracy', value: acc, unit: 'fraction' },
        { kind: 'metric', name: 'rows_freed', value: rowsFreed, unit: 'lines' },
        { kind: 'metric', name: 'cols_freed', value: colsFreed, unit: 'lines' },
        { kind: 'metric', name: 'cells_freed', value: cellsFreed, unit: 'cells' },
        { kind: 'metric', name: 'mac_fraction_freed', value: macsFreed / macs, unit: 'fraction' },
      ];
      if (epochMs.length > 0)
        measurements.push({ kind: 'metric', name: 'epoch_s', value: meanEpochS, unit: 's' });
      if (s.stage === 'software')
        measurements.push({
          kind: 'metric',
          name: 'accuracy.software',
          value: acc,
          unit: 'fraction',
        });
      return {
        summary: {
          stage: s.stage,
          parent: parent ?? null,
          softwareAccuracy: acc,
          finalLoss: losses.at(-1) ?? null,
          epochS: meanEpochS,
          rowsFreed,
          colsFreed,
          cellsFreed,
        },
        measurements,
      };
    },
    check: (_chip: ChipInfo, readout) => readout,
    estimateS: () => 0,
  };
}

function packState(st: TrainState): { data: Float32Array; iterations: number; lengths: number[] } {
  const arrays = [...st.weights, ...(st.adam?.m ?? []), ...(st.adam?.v ?? [])];
  const data = new Float32Array(arrays.reduce((a, x) => a + x.length, 0));
  let at = 0;
  for (const x of arrays) {
    data.set(x, at);
    at += x.length;
  }
  return { data, iterations: st.adam?.iterations ?? 0, lengths: arrays.map((x) => x.length) };
}

function unpackState(sizes: number[], data: Float32Array, meta: unknown): TrainState {
  const { lengths, iterations } = meta as { lengths: number[]; iterations: number };
  const arrays: Float32Array[] = [];
  let at = 0;
  for (const n of lengths) {
    arrays.push(data.slice(at, at + n));
    at += n;
  }
  const layers = sizes.length - 1;
  const weights = arrays.slice(0, layers);
  const rest = arrays.slice(layers);
  const half = rest.length / 2;
  return {
    weights,
    ...(half > 0 && { adam: { iterations, m: rest.slice(0, half), v: rest.slice(half) } }),
  };
}
