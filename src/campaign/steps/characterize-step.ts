/**
 * `characterize`: read a region `reads` times (one unit each) and fit a noise model from the
 * maps: read noise (relative and absolute), and the cells that sit at the window's edges.
 * TODO(issue 4): use src/pipeline/characterize.ts (`NoiseModel`) when it lands; this calls
 * `driver.read` directly.
 */
import { checkRead } from '../../../drivers/limits.ts';
import { observe } from '../../pipeline/observe.ts';
import type { StepOf } from '../campaign-schema.ts';
import type { StepRunner } from '../step-runner.ts';
import { READ_ROW_S } from './simple-steps.ts';

/** The noise model stored by a characterize step (JSON in `noise_models`). */
export interface FittedNoiseModel {
  cells: number;
  reads: number;
  /** Median over cells of σ/μ across reads. */
  readNoiseRelative: number;
  /** Median over cells of σ across reads (µS). */
  readNoiseMicroS: number;
  meanMicroS: number;
  /** Cells whose mean is within 2% of the window's bottom / top. */
  atMinFraction: number;
  atMaxFraction: number;
}

const median = (a: Float64Array) => {
  const s = Float64Array.from(a).sort();
  return s.length === 0 ? 0 : s[Math.floor(s.length / 2)]!;
};

/** The characterize step. */
export function characterizeStep(s: StepOf<'characterize'>): StepRunner {
  const req = { region: s.region, average: s.average };
  return {
    units: s.reads,
    touchesChip: true,
    async unit(i, ctx) {
      const map = await observe(ctx.driver.read(req), { signal: ctx.signal, first: true });
      ctx.progress(i + 1, s.reads);
      return [{ kind: 'map', label: 'characterize', map }];
    },
    finish(all, ctx) {
      const maps = all.flatMap((m) => (m.kind === 'map' ? [m.map.microS] : []));
      const n = s.region.rows * s.region.cols;
      const mean = new Float64Array(n);
      const sd = new Float64Array(n);
      const rel = new Float64Array(n);
      for (let k = 0; k < n; k++) {
        let a = 0;
        let a2 = 0;
        for (const m of maps) {
          a += m[k]!;
          a2 += m[k]! * m[k]!;
        }
        mean[k] = a / maps.length;
        sd[k] = Math.sqrt(Math.max(0, (a2 - (a * a) / maps.length) / Math.max(1, maps.length - 1)));
        rel[k] = mean[k]! > 0 ? sd[k]! / mean[k]! : 0;
      }
      const w = ctx.chip.conductanceWindowMicroS;
      const span = w.max - w.min;
      const model: FittedNoiseModel = {
        cells: n,
        reads: maps.length,
        readNoiseRelative: median(rel),
        readNoiseMicroS: median(sd),
        meanMicroS: mean.reduce((x, y) => x + y, 0) / Math.max(1, n),
        atMinFraction: mean.filter((g) => g <= w.min + 0.02 * span).length / Math.max(1, n),
        atMaxFraction: mean.filter((g) => g >= w.max - 0.02 * span).length / Math.max(1, n),
      };
      return {
        summary: { ...model },
        measurements: [
          { kind: 'noise-model', model },
          { kind: 'metric', name: 'read_noise_relative', value: model.readNoiseRelative, unit: '' },
        ],
      };
    },
    check: (chip, readout) => {
      checkRead(chip, req);
      return readout;
    },
    estimateS: () => s.reads * s.region.rows * s.average * READ_ROW_S,
  };
}
