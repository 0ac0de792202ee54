/**
 * `--dry-run`: check every step of a plan against the chip's limits (geometry, safe operating
 * area, conductance window, precision range, batch sizes) with the same checks the driver runs,
 * and estimate the chip time — without sending anything to the chip. A failing check is
 * rethrown with its code (LIMIT, INVALID_ARGUMENT) and the step's place in the campaign file.
 */
import type { ChipInfo, ReadoutConfig } from '../../drivers/driver.ts';
import { BenchError, isBenchError } from '../../drivers/driver.ts';
import type { CampaignPlan } from './parse-campaign.ts';
import { stepRunner, stepSeed } from './steps/step-runners.ts';

/** The dry run's findings. */
export interface DryRunReport {
  steps: {
    idx: number;
    name: string;
    kind: string;
    units: number;
    estimateS: number;
    where: string;
  }[];
  /** Estimated chip time of the whole campaign, waits included (s). */
  totalS: number;
}

/** Check `plan` against `chip` starting from readout configuration `readout`. */
export function dryRun(plan: CampaignPlan, chip: ChipInfo, readout: ReadoutConfig): DryRunReport {
  const steps: DryRunReport['steps'] = [];
  let config = readout;
  for (const p of plan.steps) {
    const runner = stepRunner(p, stepSeed(plan.seed, p.idx));
    let estimateS: number;
    try {
      const before = config;
      config = runner.check(chip, config);
      estimateS = runner.estimateS(chip, before);
    } catch (e) {
      if (!isBenchError(e)) throw e;
      const where = p.at(fieldOf(p.step, e.context.field));
      throw new BenchError(e.code, `${where}: step ${p.idx + 1} (${p.name}): ${e.message}`, {
        ...e.context,
        step: p.idx,
        where,
      });
    }
    steps.push({
      idx: p.idx,
      name: p.name,
      kind: p.step.kind,
      units: runner.units,
      estimateS,
      where: p.where,
    });
  }
  return { steps, totalS: steps.reduce((a, s) => a + s.estimateS, 0) };
}

/** The limit checks' names for readout fields, as they appear in a step. */
const FIELDS: Record<string, string> = {
  precision: 'precisionBits',
  'read voltage (Vref)': 'readV',
  'capacitor threshold (Vth)': 'vthV',
  mode: 'mode',
  'forming start amplitude': 'startV',
  'forming stop amplitude': 'stopV',
  'forming gate voltage': 'gateV',
  'forming pulse width': 'widthS',
  'iterations per cell': 'maxIterations',
  'pulses per polarity': 'maxPulsesPerPolarity',
  average: 'average',
};

/** The dotted path in `step` of the field a limit check named, when the step spells it out. */
function fieldOf(step: object, field: unknown): string | undefined {
  if (typeof field !== 'string') return undefined;
  const name = FIELDS[field] ?? field;
  const get = (path: string) =>
    path
      .split('.')
      .reduce<unknown>(
        (o, k) =>
          o !== null && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined,
        step,
      );
  return [name, `readout.${name}`].find((path) => /^[\w.]+$/.test(path) && get(path) !== undefined);
}
