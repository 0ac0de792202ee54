/**
 * `characterize`: the pipeline's characterisation (src/pipeline/characterize.ts) of a region —
 * write-verify of known targets, relaxation maps after each settle time, read noise, column
 * gain/offset, stuck cells — ending in one `NoiseModel`, stored (its `toJSON()`) in
 * `noise_models`. The pipeline is one Observable whose later phases depend on the earlier ones,
 * so the whole characterisation is one unit of work: its programming results, relaxation maps
 * and noise model are committed together with the checkpoint, or not at all.
 */
import type { ChipInfo } from '../../../drivers/driver.ts';
import { checkProgram, checkRead } from '../../../drivers/limits.ts';
import { characterize, characterizationTargets } from '../../pipeline/characterize.ts';
import type { CharacterizeOptions } from '../../pipeline/characterize.ts';
import type { NoiseModelJson } from '../../pipeline/noise-model.ts';
import { observe } from '../../pipeline/observe.ts';
import type { Measurement } from '../../store/measurement.ts';
import type { StepOf } from '../campaign-schema.ts';
import type { StepRunner } from '../step-runner.ts';
import { toResult } from './program-step.ts';
import { READ_ROW_S } from './simple-steps.ts';

/** Expected write-verify pulses per cell, for estimates. */
const PULSES_PER_CELL = 8;

/** The characterize step. */
export function characterizeStep(s: StepOf<'characterize'>): StepRunner {
  const { region } = s;
  const options: CharacterizeOptions = {
    region,
    relaxationTimesS: s.relaxationTimes,
    mapAverage: s.average,
    noiseReads: s.reads,
    bands: s.bands,
    program: { mode: s.mode, toleranceMicroS: s.tolerance },
    columns: s.columns ? {} : false,
    stuck: s.stuck,
  };
  // The pipeline's phases, for progress: program, one per relaxation time, read noise, columns, stuck.
  const phases = 2 + s.relaxationTimes.length + (s.columns ? 1 : 0) + (s.stuck ? 1 : 0);
  return {
    units: 1,
    touchesChip: true,
    async unit(_u, ctx) {
      const out: Measurement[] = [];
      let done = 0;
      const model = await observe(characterize(ctx.driver, options), {
        signal: ctx.signal,
        next: (e) => {
          if (e.kind !== 'step') return;
          done++;
          if (e.step === 'program') {
            const r = e.report;
            out.push({
              kind: 'program',
              targetsMicroS: r.targetsMicroS,
              result: toResult(r),
            });
          } else if (e.step === 'relaxation')
            out.push({
              kind: 'map',
              label: `relaxation t=${e.afterS}`,
              map: { region, microS: e.map.microS, average: s.average, timeS: e.map.timeS },
            });
          ctx.progress(done, phases, e.step);
        },
      });
      if (model.kind !== 'model') throw new Error('characterisation ended without a noise model');
      out.push({ kind: 'noise-model', model: model.model.toJSON() });
      return out;
    },
    finish(all) {
      const found = all.find((m) => m.kind === 'noise-model');
      if (!found || found.kind !== 'noise-model') return { summary: {}, measurements: [] };
      const m = found.model as NoiseModelJson;
      const last = m.relaxation.sigmaMicroS.at(-1) ?? [];
      const summary = {
        readNoiseRelative: m.readNoise.relative,
        stuckFraction: m.stuck.fraction,
        relaxationSigmaMaxMicroS: Math.max(0, ...last),
        relaxationAtS: m.relaxation.timesS.at(-1),
        ...(m.columns && {
          columnGainSpread: m.columns.gainSpread,
          columnOffsetSpread: m.columns.offsetSpread,
        }),
      };
      const metric = (name: string, value: number, unit = ''): Measurement => ({
        kind: 'metric',
        name,
        value,
        unit,
      });
      const measurements = [
        metric('read_noise_relative', m.readNoise.relative),
        metric('stuck_fraction', m.stuck.fraction),
        metric('relaxation_sigma_max_micro_s', summary.relaxationSigmaMaxMicroS, 'µS'),
      ];
      if (m.columns)
        measurements.push(
          metric('column_gain_spread', m.columns.gainSpread),
          metric('column_offset_spread', m.columns.offsetSpread),
        );
      return { summary, measurements };
    },
    check: (chip: ChipInfo, readout) => {
      checkRead(chip, { region, average: s.average });
      checkProgram(chip, {
        region,
        targetsMicroS: characterizationTargets(
          region.rows * region.cols,
          chip.conductanceWindowMicroS,
        ),
        toleranceMicroS: s.tolerance,
      });
      return readout;
    },
    estimateS: (chip) =>
      region.rows * region.cols * PULSES_PER_CELL * (chip.limits.pulseWidthS.min + 1.1e-6) +
      s.relaxationTimes.at(-1)! +
      (s.relaxationTimes.length * s.average + s.reads) * region.rows * READ_ROW_S,
  };
}
