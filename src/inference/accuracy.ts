/** Classification accuracy of decoded outputs against labels. */
import { BenchError } from '../../drivers/driver.ts';

/** Index of the largest of each row of `scores` (`batch × classes`); ties go to the first. */
export function argmax(scores: ArrayLike<number>, classes: number): Uint16Array {
  const batch = scores.length / classes;
  const out = new Uint16Array(batch);
  for (let b = 0; b < batch; b++) {
    let best = 0;
    for (let c = 1; c < classes; c++)
      if (scores[b * classes + c]! > scores[b * classes + best]!) best = c;
    out[b] = best;
  }
  return out;
}

/** Fraction of rows whose argmax equals the label. */
export function accuracy(
  scores: ArrayLike<number>,
  classes: number,
  labels: ArrayLike<number>,
): number {
  if (scores.length !== labels.length * classes)
    throw new BenchError(
      'INVALID_ARGUMENT',
      `${scores.length} scores do not make ${labels.length} rows of ${classes} classes`,
      { field: 'labels' },
    );
  if (labels.length === 0) return 0;
  const pred = argmax(scores, classes);
  let right = 0;
  for (let i = 0; i < labels.length; i++) if (pred[i] === labels[i]) right++;
  return right / labels.length;
}
