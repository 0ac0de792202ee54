/**
 * `program`: write-verify a region to targets from a pattern, a .npy weight file or a named
 * model, one row per unit of work (a checkpoint after each programmed row).
 * TODO(issue 4): switch to src/pipeline/program.ts `programRegion` when it lands; this calls
 * `driver.program` row by row.
 */
import type { ChipInfo, ProgramRequest, Region } from '../../../drivers/driver.ts';
import { checkProgram } from '../../../drivers/limits.ts';
import { observe } from '../../pipeline/observe.ts';
import type { StepOf } from '../campaign-schema.ts';
import type { Weights } from '../load-weights.ts';
import type { StepRunner } from '../step-runner.ts';
import { patternTargets, weightTargets } from '../targets.ts';
import type { Measurement } from '../../store/measurement.ts';

/** Expected write-verify pulses per cell, for estimates. */
const PULSES_PER_CELL = 8;

/** The program step. */
export function programStep(
  s: StepOf<'program'>,
  weights: Weights | undefined,
  seed: number,
): StepRunner {
  const { region } = s;
  let cached: Float32Array | undefined;
  const targets = (chip: ChipInfo) =>
    (cached ??= weights
      ? weightTargets(weights, s.mapping, region, chip.conductanceWindowMicroS)
      : patternTargets(s.pattern!, region, chip.conductanceWindowMicroS, seed));
  const rowRequest = (chip: ChipInfo, r: number): ProgramRequest => {
    const row: Region = { row: region.row + r, col: region.col, rows: 1, cols: region.cols };
    return {
      region: row,
      targetsMicroS: targets(chip).slice(r * region.cols, (r + 1) * region.cols),
      toleranceMicroS: s.tolerance,
      ...(s.maxIterations !== undefined && { maxIterations: s.maxIterations }),
      ...(s.maxPulsesPerPolarity !== undefined && { maxPulsesPerPolarity: s.maxPulsesPerPolarity }),
      ...(s.verifyAverage !== undefined && { verifyAverage: s.verifyAverage }),
    };
  };
  return {
    units: region.rows,
    touchesChip: true,
    async unit(r, ctx) {
      const req = rowRequest(ctx.chip, r);
      const ev = await observe(ctx.driver.program(req), { signal: ctx.signal });
      if (ev.kind !== 'result') throw new Error('program completed without a result');
      ctx.progress(r + 1, region.rows, `row ${req.region.row}`);
      return [{ kind: 'program', targetsMicroS: req.targetsMicroS, result: ev.result }];
    },
    finish(all) {
      let n = 0;
      let converged = 0;
      let pulses = 0;
      let sq = 0;
      for (const m of all) {
        if (m.kind !== 'program') continue;
        for (let k = 0; k < m.result.finalMicroS.length; k++) {
          n++;
          converged += m.result.converged[k]!;
          pulses += m.result.pulses[k]!;
          const e = m.result.finalMicroS[k]! - m.targetsMicroS[k]!;
          sq += e * e;
        }
      }
      const summary = {
        cells: n,
        convergedFraction: converged / Math.max(1, n),
        pulsesMean: pulses / Math.max(1, n),
        errorRmsMicroS: Math.sqrt(sq / Math.max(1, n)),
        source: weights ? weights.source : `pattern ${s.pattern!.kind}`,
      };
      const measurements: Measurement[] = [
        { kind: 'metric', name: 'converged_fraction', value: summary.convergedFraction, unit: '' },
        { kind: 'metric', name: 'pulses_per_cell', value: summary.pulsesMean, unit: 'pulses' },
        { kind: 'metric', name: 'error_rms_micro_s', value: summary.errorRmsMicroS, unit: 'µS' },
      ];
      if (weights)
        measurements.push({
          kind: 'model-version',
          name: s.model ?? weights.source,
          source: weights.source,
          sha256: weights.sha256,
          shape: [weights.rows, weights.cols],
          weights: weights.values,
        });
      return { summary, measurements };
    },
    check(chip, readout) {
      checkProgram(chip, { ...rowRequest(chip, 0), region, targetsMicroS: targets(chip) });
      return readout;
    },
    estimateS: (chip) =>
      region.rows * region.cols * PULSES_PER_CELL * (chip.limits.pulseWidthS.min + 1.1e-6),
  };
}
