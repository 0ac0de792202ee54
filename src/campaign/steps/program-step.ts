/**
 * `program`: write-verify a region to targets from a pattern, a .npy weight file or a named
 * model, through the pipeline's `programRegion` (board verb by default, or host ISPP; optional
 * relaxation re-check). The unit of work is a block of `rowsPerUnit` rows: one `programRegion`
 * over the block, whose report is committed with the checkpoint. A block is programmed whole or
 * not at all as far as the store is concerned, so a resume replays (emulator) or skips (board)
 * exactly the blocks committed, and a re-check never straddles a checkpoint.
 */
import { filter } from 'rxjs';
import type { ChipInfo, ProgramResult, Region } from '../../../drivers/driver.ts';
import { checkProgram } from '../../../drivers/limits.ts';
import { observe } from '../../pipeline/observe.ts';
import type { ProgramReport } from '../../pipeline/program-event.ts';
import { programRegion, type ProgramRegionOptions } from '../../pipeline/program.ts';
import { recheckSettings } from '../../pipeline/recheck.ts';
import { CellStatus } from '../../programming/cell-status.ts';
import { isppSettings } from '../../programming/ispp-settings.ts';
import type { Measurement } from '../../store/measurement.ts';
import type { StepOf } from '../campaign-schema.ts';
import type { Weights } from '../load-weights.ts';
import { patternTargets } from '../pattern-targets.ts';
import type { StepRunner } from '../step-runner.ts';
import { weightTargets } from '../weight-targets.ts';

/** Expected write-verify pulses per cell, for estimates. */
const PULSES_PER_CELL = 8;

/** The program step. */
export function programStep(
  s: StepOf<'program'>,
  weights: Weights | undefined,
  seed: number,
): StepRunner {
  const { region } = s;
  const per = s.rowsPerUnit;
  const units = Math.ceil(region.rows / per);
  let cached: { targets: Float32Array; clipped?: number } | undefined;
  const targets = (chip: ChipInfo) => {
    if (!cached) {
      const w = chip.conductanceWindowMicroS;
      if (weights) {
        const m = weightTargets(weights, s, region, w);
        cached = { targets: m.targetsMicroS, clipped: m.clipped };
      } else cached = { targets: patternTargets(s.pattern!, region, w, seed) };
    }
    return cached;
  };
  const ispp = {
    toleranceMicroS: s.tolerance,
    ...(s.maxIterations !== undefined && { maxIterations: s.maxIterations }),
    ...(s.maxPulsesPerPolarity !== undefined && { maxPulsesPerPolarity: s.maxPulsesPerPolarity }),
    ...(s.verifyAverage !== undefined && { verifyAverage: s.verifyAverage }),
  };
  const recheck = s.recheck && {
    settleS: s.recheck.settleS,
    rounds: s.recheck.rounds,
    ...(s.recheck.tolerance !== undefined && { toleranceMicroS: s.recheck.tolerance }),
  };
  /** Unit `u`'s rows and options: the block's region and its slice of the targets. */
  const block = (chip: ChipInfo, u: number): ProgramRegionOptions => {
    const r0 = u * per;
    const rows = Math.min(per, region.rows - r0);
    const blockRegion: Region = { row: region.row + r0, col: region.col, rows, cols: region.cols };
    return {
      ...ispp,
      region: blockRegion,
      targetsMicroS: targets(chip).targets.slice(r0 * region.cols, (r0 + rows) * region.cols),
      mode: s.mode,
      // One firmware request (board) or one read/pulse batch (host) per unit.
      rowsPerBatch: rows,
      ...(recheck && { recheck }),
    };
  };
  return {
    units,
    touchesChip: true,
    async unit(u, ctx) {
      const options = block(ctx.chip, u);
      const end = await observe(
        programRegion(ctx.driver, options).pipe(filter((e) => e.kind === 'report')),
        { signal: ctx.signal },
      );
      const r = options.region;
      ctx.progress(u + 1, units, `rows ${r.row}–${r.row + r.rows - 1}`);
      return [
        { kind: 'program', targetsMicroS: options.targetsMicroS, result: toResult(end.report) },
      ];
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
        mode: s.mode,
        source: weights ? weights.source : `pattern ${s.pattern!.kind}`,
        ...(cached?.clipped !== undefined && { clippedWeights: cached.clipped }),
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
      // The board verb's request for the whole region (geometry, window, caps), then what the
      // pipeline resolves from the same options (ISPP ramps and re-check settings).
      checkProgram(chip, {
        ...ispp,
        region,
        targetsMicroS: targets(chip).targets,
      });
      const settings = isppSettings(chip, ispp);
      if (recheck) recheckSettings(recheck, settings.toleranceMicroS);
      return readout;
    },
    estimateS: (chip) =>
      region.rows * region.cols * PULSES_PER_CELL * (chip.limits.pulseWidthS.min + 1.1e-6) +
      (recheck ? units * recheck.rounds * recheck.settleS : 0),
  };
}

/** A block's report as the store keeps it: per-cell final conductance, pulses, converged. */
export function toResult(report: ProgramReport): ProgramResult {
  return {
    region: report.region,
    finalMicroS: report.finalMicroS,
    pulses: report.pulses,
    converged: Uint8Array.from(report.status, (st) => (st === CellStatus.Converged ? 1 : 0)),
  };
}
