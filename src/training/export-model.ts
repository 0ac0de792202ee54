/**
 * `model export`: a closed-loop run's model as files numpy and PyTorch read. For one stage's
 * model version (default the newest): per layer `fcN_weights.npy` (float32, inputs × outputs)
 * and `fcN_bias.npy` (zeros: crossbar layers are bias-free); the test split as
 * `test_inputs.npy` (float32 in [0, 1], quantised to the input precision), `test_pulses.npy`
 * (uint8 read pulses) and `test_labels.npy` (int32); `predictions_<stage>.npy` (int32) for every
 * stage measured on it; and `manifest.json` naming every file, with the chip model (k, nSat,
 * window, precision) and each layer's mapping scale, so the chip forward pass can be rebuilt.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BenchError } from '../../drivers/driver.ts';
import { formatNpy } from '../campaign/npy.ts';
import { datasetFor } from '../campaign/steps/closed-loop-state.ts';
import { toPulses, type DatasetSpec } from '../dataset/dataset.ts';
import type { RunReader, RunRow } from '../store/run-reader.ts';
import type { ChipModel } from './chip-model.ts';
import { unpackMlp } from './mlp.ts';

/** What the manifest says about the model's stage. */
interface ModelMeta {
  sizes: number[];
  dataset?: DatasetSpec;
  chip?: ChipModel;
  scales?: number[];
}

/** Write the export of `run` (stage `stage`, default the newest) to `out`; returns the files. */
export function exportModel(
  reader: RunReader,
  run: RunRow,
  stage: string | undefined,
  out: string,
): string[] {
  const versions = reader.allModelVersions(run.id).filter((v) => v.model.stage !== undefined);
  if (versions.length === 0)
    throw new BenchError('INVALID_ARGUMENT', `run ${run.uuid} has no trained model versions`, {
      run: run.uuid,
    });
  const chosen =
    stage === undefined
      ? versions.at(-1)!
      : [...versions].reverse().find((v) => v.model.stage === stage);
  if (!chosen)
    throw new BenchError(
      'INVALID_ARGUMENT',
      `run ${run.uuid} has no stage '${stage}' (stages: ${[...new Set(versions.map((v) => v.model.stage))].join(', ')})`,
      { field: 'stage' },
    );
  const v = chosen.model;
  const meta = (v.meta ?? {}) as ModelMeta;
  const trained = versions.find((x) => (x.model.meta as ModelMeta | undefined)?.chip);
  const chipMeta = meta.chip ?? (trained?.model.meta as ModelMeta | undefined)?.chip;
  const datasetSpec = meta.dataset ?? (trained?.model.meta as ModelMeta | undefined)?.dataset;
  const model = unpackMlp(v.shape, v.weights);
  mkdirSync(out, { recursive: true });
  const files: string[] = [];
  const write = (name: string, data: Parameters<typeof formatNpy>[0], shape: number[]) => {
    writeFileSync(join(out, name), formatNpy(data, shape));
    files.push(join(out, name));
    return name;
  };
  const layers = model.weights.map((w, l) => {
    const k = model.sizes[l]!;
    const m = model.sizes[l + 1]!;
    return {
      name: `fc${l + 1}`,
      shape: [k, m],
      weights: write(`fc${l + 1}_weights.npy`, w, [k, m]),
      bias: write(`fc${l + 1}_bias.npy`, new Float32Array(m), [m]),
      ...(meta.scales?.[l] !== undefined && { scale: meta.scales[l] }),
    };
  });
  let test: Record<string, string> | undefined;
  const bits = chipMeta?.ifc.precisionBits ?? 8;
  const top = 2 ** bits - 1;
  if (datasetSpec) {
    const ds = datasetFor(datasetSpec).test;
    const pulses = toPulses(ds.x, bits);
    test = {
      inputs: write(
        'test_inputs.npy',
        Float32Array.from(pulses, (p) => p / top),
        [ds.labels.length, ds.x.length / ds.labels.length],
      ),
      pulses: write('test_pulses.npy', pulses, [ds.labels.length, ds.x.length / ds.labels.length]),
      labels: write('test_labels.npy', ds.labels, [ds.labels.length]),
    };
  }
  // Predictions on the test split: the software ones of train steps, the chip's of evaluates.
  const steps = reader.steps(run.id);
  const predictions: Record<string, string> = {};
  for (const s of steps) {
    const params = JSON.parse(s.params_json) as {
      stage?: string;
      split?: string;
      hidden?: boolean;
    };
    if (!params.stage || params.hidden || (s.kind === 'evaluate' && params.split === 'train'))
      continue;
    const parts = reader
      .artifacts(run.id, s.idx)
      .filter((a) => a.measurement.name === 'predictions');
    if (parts.length === 0) continue;
    const n = parts.reduce((a, p) => a + p.measurement.data.length, 0);
    const all = new Int32Array(n);
    for (const p of parts)
      all.set(p.measurement.data, (p.measurement.meta as { first: number }).first);
    // The software stage's host predictions are `software`; other trained stages' `host.<stage>`.
    const key =
      s.kind !== 'train'
        ? params.stage
        : params.stage === 'software'
          ? 'software'
          : `host.${params.stage}`;
    predictions[key] = write(`predictions_${key}.npy`, all, [n]);
  }
  const accuracy = Object.fromEntries(
    reader
      .metrics(run.id)
      .filter((m) => m.name.startsWith('accuracy.'))
      .map((m) => [m.name.slice('accuracy.'.length), m.value]),
  );
  const manifest = {
    format: 'rram-bench.model-export',
    version: 1,
    run: run.uuid,
    stage: v.stage,
    parent: v.parent ?? null,
    sizes: model.sizes,
    layers,
    chip: chipMeta && {
      k: chipMeta.ifc.countsPerMicroSPulse,
      nSat: Number.isFinite(chipMeta.ifc.saturationCount) ? chipMeta.ifc.saturationCount : null,
      precisionBits: bits,
      top,
      gMin: chipMeta.gMinMicroS,
      gMax: chipMeta.gMaxMicroS,
      range: chipMeta.gMaxMicroS - chipMeta.gMinMicroS,
      percentile: chipMeta.percentile,
    },
    test: test ?? null,
    predictions,
    accuracy,
  };
  writeFileSync(join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  files.push(join(out, 'manifest.json'));
  return files;
}
