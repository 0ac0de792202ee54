/** A seeded, stratified train/test split: each class contributes in proportion to its size. */
import { BenchError } from '../../drivers/driver.ts';
import { seededRandom } from '../pipeline/seeded-random.ts';

/** Indices of the two parts, each in ascending order. */
export interface Split {
  train: Int32Array;
  test: Int32Array;
}

/** Shuffle `a` in place with `random` (Fisher–Yates). */
export function shuffleInPlace(a: Int32Array, random: () => number): Int32Array {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
  return a;
}

/** Pick `testSize` of `labels` for the test part, stratified by class; the rest train. */
export function stratifiedSplit(labels: Int32Array, testSize: number, seed: number): Split {
  const n = labels.length;
  if (!(Number.isInteger(testSize) && testSize > 0 && testSize < n))
    throw new BenchError('INVALID_ARGUMENT', `test size must be 1–${n - 1}, got ${testSize}`, {
      field: 'test',
    });
  const random = seededRandom(seed);
  const byClass = new Map<number, number[]>();
  labels.forEach((l, i) => byClass.set(l, [...(byClass.get(l) ?? []), i]));
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  // Largest-remainder apportionment of the test size over the classes.
  const quota = classes.map((c) => (byClass.get(c)!.length * testSize) / n);
  const take = quota.map(Math.floor);
  let left = testSize - take.reduce((a, b) => a + b, 0);
  const order = quota.map((q, i) => [q - Math.floor(q), i] as const).sort((a, b) => b[0] - a[0]);
  for (const [, i] of order) if (left-- > 0) take[i]!++;
  const test: number[] = [];
  const train: number[] = [];
  classes.forEach((c, ci) => {
    const idx = shuffleInPlace(Int32Array.from(byClass.get(c)!), random);
    idx.forEach((v, k) => (k < take[ci]! ? test : train).push(v));
  });
  return {
    train: Int32Array.from(train).sort(),
    test: Int32Array.from(test).sort(),
  };
}
