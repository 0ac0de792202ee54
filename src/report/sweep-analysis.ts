/**
 * The multi-objective view of a sweep: which settings are Pareto-optimal (accuracy up, energy
 * and latency per inference down), and why two settings that should differ gave the same result.
 */
import { paretoFront } from './pareto-front.ts';
import type { Objective } from './pareto-front.ts';
import { settingDifferences } from './sweep-points.ts';
import type { SweepPoint } from './sweep-points.ts';

/** Two points within this relative difference of energy and latency count as the same cost. */
export const SAME_COST_RELATIVE = 0.01;

/** Two settings that gave the same result, and why. */
export interface Coincidence {
  /** Indices into the points. */
  a: number;
  b: number;
  explanation: string;
}

/** A sweep's Pareto analysis. */
export interface SweepAnalysis {
  /** Indices of the points Pareto-optimal in accuracy × energy × latency. */
  front: number[];
  /** Indices Pareto-optimal in accuracy × energy alone. */
  frontEnergy: number[];
  /** Indices Pareto-optimal in accuracy × latency alone. */
  frontLatency: number[];
  coincidences: Coincidence[];
}

const accuracy: Objective<SweepPoint> = { value: (p) => p.accuracy, sense: 'max' };
const energy: Objective<SweepPoint> = { value: (p) => p.energyJ, sense: 'min' };
const latency: Objective<SweepPoint> = { value: (p) => p.latencyS, sense: 'min' };

const close = (x: number, y: number) =>
  Math.abs(x - y) <= SAME_COST_RELATIVE * Math.max(Math.abs(x), Math.abs(y));

/** Analyse a sweep's points. */
export function analyseSweep(points: readonly SweepPoint[]): SweepAnalysis {
  const coincidences: Coincidence[] = [];
  for (let a = 0; a < points.length; a++)
    for (let b = a + 1; b < points.length; b++) {
      const p = points[a]!;
      const q = points[b]!;
      if (
        p.accuracy !== q.accuracy ||
        !close(p.energyJ, q.energyJ) ||
        !close(p.latencyS, q.latencyS)
      )
        continue;
      coincidences.push({ a, b, explanation: explainCoincidence(p, q) });
    }
  return {
    front: paretoFront(points, [accuracy, energy, latency]),
    frontEnergy: paretoFront(points, [accuracy, energy]),
    frontLatency: paretoFront(points, [accuracy, latency]),
    coincidences,
  };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** Why `p` and `q` gave the same accuracy at the same cost, from what differs between them. */
export function explainCoincidence(p: SweepPoint, q: SweepPoint): string {
  const diff = settingDifferences(p.setting, q.setting);
  const names = {
    precisionBits: 'precision',
    readV: 'Vref',
    vthV: 'Vth',
    toleranceMicroS: 'tolerance',
  };
  const head = `"${p.step}" and "${q.step}" (${diff.map((k) => names[k]).join(', ') || 'no setting'} differ) give the same accuracy (${p.accuracy.toFixed(3)}) at energy and latency within ${pct(SAME_COST_RELATIVE)}`;
  const clipped = `counts clipped at 2^b − 1: ${pct(p.clippedFraction)} and ${pct(q.clippedFraction)}`;
  const parts: string[] = [];
  if (diff.length === 0)
    parts.push('they ran at the same setting: a repeat that reproduced its result.');
  if (diff.includes('readV'))
    parts.push(
      `Vref scales every column current by the same factor (proportional tuning) and the classifier ranks the class columns by their counts, so unless counts clip (${clipped}) the ranking — hence the accuracy — cannot change; latency is set by the precision's integration window (2^b cycles), which is the same, and the array's read energy is a small share of the conversion energy.`,
    );
  if (diff.includes('vthV'))
    parts.push(
      `Vth changes the charge per spike, which again rescales the counts alike in every column (${clipped}) and bends the transfer only near saturation: the ranking of classes is unchanged.`,
    );
  if (diff.includes('precisionBits'))
    parts.push(
      `more bits only refine counts that already rank the classes the same way, and the energy and latency differences are below the ${pct(SAME_COST_RELATIVE)} threshold.`,
    );
  if (diff.includes('toleranceMicroS'))
    parts.push(
      'the programmed conductances differ by less than the gap between the winning class and the next one, so every vector is classified the same; write-verify tolerance costs programming time, not inference energy.',
    );
  return `${head}: ${parts.join(' ')}`;
}
