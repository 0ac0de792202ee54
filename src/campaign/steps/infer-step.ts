/**
 * `infer`: stream a dataset through the programmed region as MVM batches (one unit of work per
 * batch), store inputs, counts and labels, and report the accuracy of the decoded classes:
 * `columns` — class c is column c (`prototypes` pattern); `twin-columns` — class c scores
 * count(2c) − count(2c+1) (signed weights as G+ − G−).
 * Datasets: `synthetic` now; MNIST arrives with a later issue.
 * TODO(issue 4): use src/inference/* (encoding, decoding, accuracy) when it lands; this calls
 * `driver.mvm` directly.
 */
import type { ChipInfo, MvmResult, ReadoutConfig } from '../../../drivers/driver.ts';
import { BenchError } from '../../../drivers/driver.ts';
import { checkConfigure, checkMvm } from '../../../drivers/limits.ts';
import { observe } from '../../pipeline/observe.ts';
import type { StepOf } from '../campaign-schema.ts';
import type { StepRunner } from '../step-runner.ts';
import { syntheticDataset } from '../synthetic-dataset.ts';
import type { Dataset } from '../synthetic-dataset.ts';

/** The infer step. */
export function inferStep(s: StepOf<'infer'>): StepRunner {
  const { region, dataset: spec } = s;
  const rows = Array.from({ length: region.rows }, (_, i) => region.row + i);
  const cols = Array.from({ length: region.cols }, (_, j) => region.col + j);
  const units = Math.ceil(spec.samples / s.batch);
  const change: Partial<ReadoutConfig> = { ...s.readout };
  let data: Dataset | undefined;
  const outputsNeeded = s.decode === 'columns' ? spec.classes : 2 * spec.classes;
  return {
    units,
    touchesChip: true,
    async enter(ctx) {
      if (Object.keys(change).length > 0)
        await observe(ctx.driver.configure(change), { signal: ctx.signal, first: true });
      const readout = await observe(ctx.driver.readout(), { signal: ctx.signal, first: true });
      data = syntheticDataset(spec, region.rows, (1 << readout.precisionBits) - 1, ctx.seed);
    },
    async unit(u, ctx) {
      const first = u * s.batch;
      const n = Math.min(s.batch, spec.samples - first);
      const inputs = data!.inputs.slice(first * rows.length, (first + n) * rows.length);
      const values = new Uint8Array(n * cols.length);
      const chunk = Math.max(1, ctx.chip.limits.maxMvmBatch);
      let res: MvmResult | undefined;
      let energyJ = 0;
      let latencyS = 0;
      for (let b = 0; b < n; b += chunk) {
        const m = Math.min(chunk, n - b);
        res = await observe(
          ctx.driver.mvm({
            rows,
            cols,
            inputs: inputs.subarray(b * rows.length, (b + m) * rows.length),
          }),
          { signal: ctx.signal, first: true },
        );
        values.set(res.values, b * cols.length);
        energyJ += res.energyJ;
        latencyS += res.latencyS;
      }
      ctx.progress(u + 1, units, `${first + n}/${spec.samples} vectors`);
      return [
        {
          kind: 'mvm',
          firstSample: first,
          rows,
          cols,
          inputs,
          labels: data!.labels.slice(first, first + n),
          result: {
            mode: res!.mode,
            precisionBits: res!.precisionBits,
            batch: n,
            values,
            energyJ,
            latencyS,
          },
        },
      ];
    },
    finish(all) {
      let correct = 0;
      let total = 0;
      let energyJ = 0;
      let chipTimeS = 0;
      for (const m of all) {
        if (m.kind !== 'mvm') continue;
        energyJ += m.result.energyJ;
        chipTimeS += m.result.latencyS;
        const k = m.cols.length;
        for (let v = 0; v < m.result.batch; v++) {
          let best = -Infinity;
          let pick = -1;
          for (let c = 0; c < spec.classes; c++) {
            const o = v * k;
            const score =
              s.decode === 'columns'
                ? m.result.values[o + c]!
                : m.result.values[o + 2 * c]! - m.result.values[o + 2 * c + 1]!;
            if (score > best) [best, pick] = [score, c];
          }
          if (pick === m.labels![v]) correct++;
          total++;
        }
      }
      const accuracy = correct / Math.max(1, total);
      return {
        summary: { samples: total, accuracy, energyJ, chipTimeS },
        measurements: [
          { kind: 'metric', name: 'accuracy', value: accuracy, unit: '' },
          { kind: 'metric', name: 'energy_j', value: energyJ, unit: 'J' },
        ],
      };
    },
    check(chip: ChipInfo, readout) {
      const next = checkConfigure(chip, readout, change, (b) => (2 ** b + 2) / chip.clockHz);
      if (outputsNeeded > region.cols)
        throw new BenchError(
          'INVALID_ARGUMENT',
          `${spec.classes} classes decoded as ${s.decode} need ${outputsNeeded} columns; the region has ${region.cols}`,
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
