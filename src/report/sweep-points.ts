/**
 * The points of a sweep over hardware settings: one per `infer` step, with the readout setting in
 * force (precision, Vref, Vth from the last `configure` and the step's own `readout`), the
 * write-verify tolerance of the last `program` step before it, its accuracy, and its energy and
 * latency per inference (the stored per-batch figures: the chip's energy model, or measured).
 */
import type { StepRow, StoredMetric, StoredMvm } from '../store/run-reader.ts';

/** The hardware settings an inference ran at. */
export interface HardwareSetting {
  /** Activation precision (bits). */
  precisionBits: number;
  /** Vref, the read voltage (V). */
  readV: number;
  /** Vth, the IFC threshold (V). */
  vthV: number;
  /** Write-verify tolerance of the weights' programming (µS); NaN when not programmed in the run. */
  toleranceMicroS: number;
}

/** One inference of a sweep. */
export interface SweepPoint {
  stepIdx: number;
  /** The step's name, e.g. `infer [sweep readout.precisionBits=4]`. */
  step: string;
  setting: HardwareSetting;
  /** `4 bit, Vref 0.1 V, Vth 0.5 V, ±1 µS`. */
  settingLabel: string;
  /** Classification accuracy (fraction). */
  accuracy: number;
  /** Vectors classified. */
  samples: number;
  /** Chip energy per inference (J). */
  energyJ: number;
  /** Chip time per inference (s). */
  latencyS: number;
  /** Fraction of counts at the clip 2^b − 1. */
  clippedFraction: number;
}

/** Settings compared by `settingDifferences`, in display order. */
export const SETTING_KEYS = ['precisionBits', 'readV', 'vthV', 'toleranceMicroS'] as const;

/** Label of a setting. */
export function settingLabel(s: HardwareSetting): string {
  // NaN: not set by any step of the run (the chip's defaults were in force, not stored).
  const v = (x: number) => (Number.isFinite(x) ? String(x) : '?');
  const tol = Number.isFinite(s.toleranceMicroS) ? `, ±${s.toleranceMicroS} µS` : '';
  return `${v(s.precisionBits)} bit, Vref ${v(s.readV)} V, Vth ${v(s.vthV)} V${tol}`;
}

/** The keys two settings differ in. */
export function settingDifferences(
  a: HardwareSetting,
  b: HardwareSetting,
): (typeof SETTING_KEYS)[number][] {
  return SETTING_KEYS.filter((k) => !Object.is(a[k], b[k]) && a[k] !== b[k]);
}

const parse = (json: string | null): Record<string, unknown> =>
  json ? (JSON.parse(json) as Record<string, unknown>) : {};
const num = (v: unknown, fallback: number) => (typeof v === 'number' ? v : fallback);

/** The sweep's points, in step order (infer steps with a stored accuracy). */
export function sweepPoints(
  steps: readonly StepRow[],
  batches: readonly StoredMvm[],
  metrics: readonly StoredMetric[],
): SweepPoint[] {
  // Readout defaults until a configure step says otherwise (the profile's defaults are not stored).
  let readout = { precisionBits: NaN, readV: NaN, vthV: NaN };
  let tolerance = NaN;
  const out: SweepPoint[] = [];
  for (const s of steps) {
    const params = parse(s.params_json);
    if (s.kind === 'configure') {
      const done = parse(s.summary_json);
      readout = {
        precisionBits: num(done.precisionBits ?? params.precisionBits, readout.precisionBits),
        readV: num(done.readV ?? params.readV, readout.readV),
        vthV: num(done.vthV ?? params.vthV, readout.vthV),
      };
    } else if (s.kind === 'program') {
      tolerance = num(params.tolerance, tolerance);
    } else if (s.kind === 'infer') {
      const own = batches.filter((b) => b.stepIdx === s.idx);
      const change = (params.readout ?? {}) as Record<string, unknown>;
      const bits = own[0]?.precisionBits ?? num(change.precisionBits, readout.precisionBits);
      // A step's readout change stays in force after it (the driver keeps its configuration).
      readout = {
        precisionBits: bits,
        readV: num(change.readV, readout.readV),
        vthV: num(change.vthV, readout.vthV),
      };
      const acc = metrics.find((m) => m.stepIdx === s.idx && m.name === 'accuracy');
      if (!acc) continue;
      const samples = own.reduce((a, b) => a + b.batch, 0);
      if (samples === 0) continue;
      const clip = 2 ** bits - 1;
      let clipped = 0;
      let values = 0;
      for (const b of own) {
        values += b.counts.length;
        for (const c of b.counts) if (c >= clip) clipped++;
      }
      const setting = { ...readout, toleranceMicroS: tolerance };
      out.push({
        stepIdx: s.idx,
        step: s.name,
        setting,
        settingLabel: settingLabel(setting),
        accuracy: acc.value,
        samples,
        energyJ: own.reduce((a, b) => a + b.energyJ, 0) / samples,
        latencyS: own.reduce((a, b) => a + b.latencyS, 0) / samples,
        clippedFraction: values > 0 ? clipped / values : 0,
      });
    }
  }
  return out;
}
