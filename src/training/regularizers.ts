/**
 * Structured-sparsity regularisers over crossbar lines, on the mapped weights u = s·W/(g_max −
 * g_min) (the fraction of the window a weight takes, so the penalty does not just shrink W,
 * which the percentile mapping would undo):
 *  - group lasso (SSL, Wen et al. 2016): Σ over rows ‖u_i,:‖₂ + Σ over columns ‖u_:,k‖₂,
 *    applied as a proximal step after each optimiser step (`groupShrink`); a line whose norm
 *    reaches zero frees a whole word line or column pair;
 *  - Hoyer-square (Yang et al. 2020): (Σ|u|)² / Σu², scale-invariant, divided by the count.
 */
import type * as Tf from '@tensorflow/tfjs-core';

/** Group lasso of one layer's mapped weights (`K × M`); `cols` false skips the columns. */
export function groupLasso(tf: typeof Tf, u: Tf.Tensor2D, cols = true): Tf.Scalar {
  const eps = 1e-8;
  const rows = tf.mean(tf.sqrt(tf.add(tf.sum(tf.square(u), 1), eps)));
  if (!cols) return rows as Tf.Scalar;
  const c = tf.mean(tf.sqrt(tf.add(tf.sum(tf.square(u), 0), eps)));
  return tf.add<Tf.Scalar>(rows, c);
}

/** Hoyer-square of one layer's mapped weights, over the number of weights (in (0, 1]). */
export function hoyerSquare(tf: typeof Tf, u: Tf.Tensor2D): Tf.Scalar {
  const l1 = tf.sum(tf.abs(u));
  const l2 = tf.add(tf.sum(tf.square(u)), 1e-12);
  return tf.div<Tf.Scalar>(tf.div(tf.square(l1), l2), u.size);
}

/**
 * The proximal step of group lasso (group soft-thresholding) on one layer, in place: each row
 * (and column unless `cols` is false) of the mapped weights u = w·scale/range is shrunk by
 * τ·√(group size) in norm, and set exactly to zero when its norm is below that — how SSL
 * reaches whole zero lines, which a plain gradient only approaches.
 */
export function groupShrink(
  w: Float32Array,
  k: number,
  m: number,
  tau: number,
  unitPerWeight: number,
  cols = true,
): void {
  const shrink = (idx: (j: number) => number, n: number) => {
    let sq = 0;
    for (let j = 0; j < n; j++) sq += (w[idx(j)]! * unitPerWeight) ** 2;
    const norm = Math.sqrt(sq);
    const f = norm > 0 ? Math.max(0, 1 - (tau * Math.sqrt(n)) / norm) : 0;
    for (let j = 0; j < n; j++) w[idx(j)]! *= f;
  };
  for (let i = 0; i < k; i++) shrink((j) => i * m + j, m);
  if (cols) for (let j = 0; j < m; j++) shrink((i) => i * m + j, k);
}

/**
 * Zero the lines (rows, and columns unless `cols` is false) whose largest mapped |ΔG| is below
 * `thresholdMicroS`: such a line would be programmed within one write-verify tolerance of an
 * all-g_min line, so it is pruned outright. Returns how many rows and columns are zero.
 */
export function pruneLines(
  w: Float32Array,
  k: number,
  m: number,
  scale: number,
  thresholdMicroS: number,
  cols = true,
): { rows: number; cols: number } {
  const limit = thresholdMicroS / scale;
  for (let i = 0; i < k; i++) {
    let max = 0;
    for (let j = 0; j < m; j++) max = Math.max(max, Math.abs(w[i * m + j]!));
    if (max < limit) w.fill(0, i * m, (i + 1) * m);
  }
  if (cols)
    for (let j = 0; j < m; j++) {
      let max = 0;
      for (let i = 0; i < k; i++) max = Math.max(max, Math.abs(w[i * m + j]!));
      if (max < limit) for (let i = 0; i < k; i++) w[i * m + j] = 0;
    }
  return zeroLines(w, k, m);
}

/** Rows and columns of `w` (`k × m`) that are entirely zero. */
export function zeroLines(w: Float32Array, k: number, m: number): { rows: number; cols: number } {
  let rows = 0;
  let cols = 0;
  for (let i = 0; i < k; i++) if (w.subarray(i * m, (i + 1) * m).every((v) => v === 0)) rows++;
  for (let j = 0; j < m; j++) {
    let zero = true;
    for (let i = 0; i < k && zero; i++) zero = w[i * m + j] === 0;
    if (zero) cols++;
  }
  return { rows, cols };
}
