/** The small steps: identify, configure, form, read-map and export. */
import type { ChipInfo, ReadoutConfig } from '../../../drivers/driver.ts';
import { checkConfigure, checkForm, checkRead } from '../../../drivers/limits.ts';
import { observe } from '../../pipeline/observe.ts';
import type { StepOf } from '../campaign-schema.ts';
import type { StepRunner } from '../step-runner.ts';
import { mapStats } from './map-stats.ts';

/** Modelled time of one row-parallel read (s), as the emulator's. */
export const READ_ROW_S = 1e-6;

/** Integration window (s) assumed at `bits` of precision when checking a readout change. */
export function windowAt(chip: ChipInfo): (bits: number) => number {
  return (bits) => (2 ** bits + 2) / chip.clockHz;
}

/** `identify`: who the chip is (stored with the run's chip row; nothing per unit). */
export function identifyStep(): StepRunner {
  let chip: ChipInfo | undefined;
  return {
    units: 1,
    touchesChip: true,
    reapply: true,
    async unit(_i, ctx) {
      chip = await observe(ctx.driver.identify(), { signal: ctx.signal, first: true });
      return [];
    },
    finish: (_all, ctx) => {
      const c = chip ?? ctx.chip;
      return {
        summary: {
          model: c.model,
          serial: c.serial,
          firmware: c.firmwareVersion,
          rows: c.rows,
          cols: c.cols,
        },
        measurements: [],
      };
    },
    check: (_chip, readout) => readout,
    estimateS: () => 0,
  };
}

/** `configure`: readout settings (re-applied when a run resumes). */
export function configureStep(s: StepOf<'configure'>): StepRunner {
  const change: Partial<ReadoutConfig> = {
    ...(s.precisionBits !== undefined && { precisionBits: s.precisionBits }),
    ...(s.readV !== undefined && { readV: s.readV }),
    ...(s.vthV !== undefined && { vthV: s.vthV }),
    ...(s.mode !== undefined && { mode: s.mode }),
  };
  let applied: ReadoutConfig | undefined;
  return {
    units: 1,
    touchesChip: true,
    reapply: true,
    async unit(_i, ctx) {
      applied = await observe(ctx.driver.configure(change), { signal: ctx.signal, first: true });
      return [];
    },
    finish: () => ({ summary: { ...(applied ?? change) }, measurements: [] }),
    check: (chip, readout) => checkConfigure(chip, readout, change, windowAt(chip)),
    estimateS: () => 0,
  };
}

/** `form`: the forming ramp over a region, one unit; the formed conductances stored as a map. */
export function formStep(s: StepOf<'form'>): StepRunner {
  const req = {
    region: s.region,
    startV: s.startV,
    stepV: s.stepV,
    stopV: s.stopV,
    gateV: s.gateV,
    widthS: s.widthS,
  };
  return {
    units: 1,
    touchesChip: true,
    async unit(_i, ctx) {
      const f = await observe(ctx.driver.form(req), { signal: ctx.signal, first: true });
      let formed = 0;
      let pulses = 0;
      for (let k = 0; k < f.formed.length; k++) {
        formed += f.formed[k]!;
        pulses += f.pulses[k]!;
      }
      const n = f.formed.length;
      return [
        {
          kind: 'map',
          label: 'formed',
          map: { region: f.region, microS: f.conductanceMicroS, average: 1, timeS: 0 },
        },
        { kind: 'metric', name: 'formed_fraction', value: formed / n, unit: '' },
        { kind: 'metric', name: 'forming_pulses_mean', value: pulses / n, unit: 'pulses' },
      ];
    },
    finish: (all) => ({
      summary: Object.fromEntries(
        all.flatMap((m) => (m.kind === 'metric' ? [[m.name, m.value]] : [])),
      ),
      measurements: [],
    }),
    check: (chip, readout) => {
      checkForm(chip, req);
      return readout;
    },
    estimateS: (chip) => {
      const f = checkForm(chip, req);
      const ramp = Math.floor((f.stopV - f.startV) / f.stepV) + 1;
      return s.region.rows * s.region.cols * (ramp / 2) * (f.widthS + READ_ROW_S);
    },
  };
}

/** `read-map`: one conductance map of a region. */
export function readMapStep(s: StepOf<'read-map'>): StepRunner {
  const req = { region: s.region, average: s.average };
  return {
    units: 1,
    touchesChip: true,
    async unit(_i, ctx) {
      const map = await observe(ctx.driver.read(req), { signal: ctx.signal, first: true });
      return [{ kind: 'map', label: 'read', map }];
    },
    finish: (all) => {
      const m = all.find((x) => x.kind === 'map');
      const stats = m?.kind === 'map' ? mapStats(m.map.microS) : undefined;
      return {
        summary: { ...stats },
        measurements: stats
          ? [{ kind: 'metric', name: 'mean_micro_s', value: stats.meanMicroS, unit: 'µS' }]
          : [],
      };
    },
    check: (chip, readout) => {
      checkRead(chip, req);
      return readout;
    },
    estimateS: () => s.region.rows * s.average * READ_ROW_S,
  };
}

/** `export`: write the run so far to files (never touches the chip). */
export function exportStep(s: StepOf<'export'>): StepRunner {
  let files: string[] = [];
  return {
    units: 1,
    touchesChip: false,
    async unit(_i, ctx) {
      files = await ctx.exportRun(s.format, s.out);
      return [];
    },
    finish: () => ({
      summary: { format: s.format, out: s.out, files: files.length },
      measurements: [],
    }),
    check: (_chip, readout) => readout,
    estimateS: () => 0,
  };
}
