/**
 * `calibrate`: per-column readout calibration of the deployed layers. Read the layers' cells
 * back (averaged), drive known random patterns through each layer's rows, and fit every
 * column's gain and offset against k·Σ x·g (src/pipeline/calibrate-columns.ts) with the readout
 * transfer the characterisation measured. One unit; the calibration is stored as an artifact
 * for the evaluate steps (`calibrated: true`) after it.
 */
import { toArray } from 'rxjs';
import type { ChipInfo } from '../../../drivers/driver.ts';
import { identityCalibration } from '../../pipeline/calibrate.ts';
import { measureColumnCalibration } from '../../pipeline/calibrate-columns.ts';
import { observe } from '../../pipeline/observe.ts';
import { readRegion } from '../../pipeline/read-region.ts';
import type { Measurement } from '../../store/measurement.ts';
import type { StepOf } from '../campaign-schema.ts';
import type { StepRunner } from '../step-runner.ts';
import { lastDeployment, lastNoiseModel, measuredIfc } from './closed-loop-state.ts';

/** The calibrate step. */
export function calibrateStep(s: StepOf<'calibrate'>): StepRunner {
  return {
    units: 1,
    touchesChip: true,
    async unit(_u, ctx) {
      const earlier = ctx.earlier();
      const deployment = lastDeployment(earlier);
      const readout = await observe(ctx.driver.readout(), { signal: ctx.signal, first: true });
      const model = measuredIfc(lastNoiseModel(earlier), readout.precisionBits);
      const cal = identityCalibration(ctx.chip.cols);
      const out: Measurement[] = [];
      let residual = 0;
      for (const [i, layer] of deployment.layers.entries()) {
        const r = layer.region;
        const maps = await observe(readRegion(ctx.driver, r, s.average).pipe(toArray()), {
          signal: ctx.signal,
        });
        const g = new Float32Array(r.rows * r.cols);
        let at = 0;
        for (const m of maps) {
          g.set(m.microS, at);
          at += m.microS.length;
        }
        out.push({
          kind: 'map',
          label: `${layer.name} read-back`,
          map: { region: r, microS: g, average: s.average, timeS: maps.at(-1)?.timeS ?? 0 },
        });
        const fit = await observe(
          measureColumnCalibration(ctx.driver, {
            rows: Array.from({ length: r.rows }, (_, k) => r.row + k),
            cols: Array.from({ length: r.cols }, (_, k) => r.col + k),
            conductanceMicroS: g,
            model,
            vectors: s.vectors,
            seed: ctx.seed + i,
          }),
          { signal: ctx.signal, first: true },
        );
        for (let c = r.col; c < r.col + r.cols; c++) {
          cal.gain[c] = fit.gain[c]!;
          cal.offset[c] = fit.offset[c]!;
        }
        residual = Math.max(residual, fit.residualRms);
        ctx.progress(i + 1, deployment.layers.length, layer.name);
      }
      const data = new Float32Array(2 * ctx.chip.cols);
      data.set(cal.gain, 0);
      data.set(cal.offset, ctx.chip.cols);
      out.push({ kind: 'artifact', name: 'calibration', data, meta: { residualRms: residual } });
      return out;
    },
    finish(all) {
      const a = all.find((m) => m.kind === 'artifact' && m.name === 'calibration');
      const residual =
        a?.kind === 'artifact' ? (a.meta as { residualRms: number }).residualRms : NaN;
      return {
        summary: { residualRms: residual },
        measurements: [
          { kind: 'metric', name: 'calibration_residual_rms', value: residual, unit: 'counts' },
        ],
      };
    },
    check: (_chip: ChipInfo, readout) => readout,
    estimateS: (chip) => (2 * s.vectors * (2 ** 8 * 2 + 40)) / chip.clockHz,
  };
}
