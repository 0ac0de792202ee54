/**
 * `retention`: read a region at given times after the step starts (one unit per read), to watch
 * the conductances relax. Waits are chip time: real time on a board or the wall-clock emulator,
 * instantaneous in virtual time.
 */
import { checkRead } from '../../../drivers/limits.ts';
import { observe } from '../../pipeline/observe.ts';
import type { StepOf } from '../campaign-schema.ts';
import type { StepRunner } from '../step-runner.ts';
import { mapStats } from './map-stats.ts';
import { READ_ROW_S } from './simple-steps.ts';

/** The retention step. */
export function retentionStep(s: StepOf<'retention'>): StepRunner {
  const req = { region: s.region, average: s.average };
  return {
    units: s.times.length,
    touchesChip: true,
    async unit(i, ctx) {
      await ctx.wait(s.times[i]! - (i === 0 ? 0 : s.times[i - 1]!));
      const map = await observe(ctx.driver.read(req), { signal: ctx.signal, first: true });
      ctx.progress(i + 1, s.times.length, `t = ${s.times[i]} s`);
      return [{ kind: 'map', label: `t=${s.times[i]}`, map }];
    },
    finish(all) {
      const maps = all.flatMap((m) => (m.kind === 'map' ? [m.map] : []));
      const first = maps[0]?.microS;
      const drift = maps.map((m, i) => {
        let sq = 0;
        for (let k = 0; k < m.microS.length; k++) sq += (m.microS[k]! - first![k]!) ** 2;
        return {
          t: s.times[i],
          chipTimeS: m.timeS,
          ...mapStats(m.microS),
          rmsChangeMicroS: Math.sqrt(sq / Math.max(1, m.microS.length)),
        };
      });
      const last = drift[drift.length - 1];
      return {
        summary: { reads: maps.length, rmsChangeMicroS: last?.rmsChangeMicroS ?? 0, drift },
        measurements: last
          ? [
              {
                kind: 'metric',
                name: 'rms_change_micro_s',
                value: last.rmsChangeMicroS,
                unit: 'µS',
              },
            ]
          : [],
      };
    },
    check: (chip, readout) => {
      checkRead(chip, req);
      return readout;
    },
    estimateS: () =>
      s.times[s.times.length - 1]! + s.times.length * s.region.rows * s.average * READ_ROW_S,
  };
}
