/**
 * The Pareto front of a set of points under several objectives: the points no other point
 * dominates. `p` dominates `q` when it is at least as good in every objective and strictly
 * better in one. Equal points do not dominate each other, so duplicates on the front all stay
 * on it; a point with a non-finite objective value is never on the front and dominates nothing.
 */

/** One objective of a multi-objective comparison. */
export interface Objective<T> {
  /** The objective's value for a point (any unit; only the order matters). */
  value: (point: T) => number;
  /** `max` when larger is better (accuracy), `min` when smaller is (energy, latency). */
  sense: 'max' | 'min';
}

/** Indices (ascending) of the points of `points` on the Pareto front under `objectives`. O(n²). */
export function paretoFront<T>(
  points: readonly T[],
  objectives: readonly Objective<T>[],
): number[] {
  if (objectives.length === 0) throw new RangeError('paretoFront needs at least one objective');
  // Every objective as "larger is better", so dominance is one comparison.
  const score = points.map((p) =>
    objectives.map((o) => (o.sense === 'max' ? o.value(p) : -o.value(p))),
  );
  const valid = score.map((s) => s.every(Number.isFinite));
  const dominates = (a: number[], b: number[]): boolean => {
    let better = false;
    for (let k = 0; k < a.length; k++) {
      if (a[k]! < b[k]!) return false;
      if (a[k]! > b[k]!) better = true;
    }
    return better;
  };
  const front: number[] = [];
  for (let i = 0; i < points.length; i++) {
    if (!valid[i]) continue;
    let dominated = false;
    for (let j = 0; j < points.length && !dominated; j++)
      dominated = j !== i && valid[j]! && dominates(score[j]!, score[i]!);
    if (!dominated) front.push(i);
  }
  return front;
}
