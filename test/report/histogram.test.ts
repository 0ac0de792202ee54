import assert from 'node:assert/strict';
import { histogram, niceStep } from '../../src/report/histogram.ts';

describe('histogram', () => {
  it('counts every finite value once, in bins aligned on the step and shared by the series', () => {
    const bins = histogram(
      [
        { name: 'a', values: [0, 0.4, 0.5, 0.99, 1, 2.5, NaN] },
        { name: 'b', values: Float32Array.of(-0.5, 2.99) },
      ],
      1,
    );
    assert.deepEqual(
      bins.map((b) => [b.series, b.lo, b.hi, b.count]),
      [
        ['a', 0, 1, 4],
        ['a', 1, 2, 1],
        ['a', 2, 3, 1],
        ['b', -1, 0, 1],
        ['b', 2, 3, 1],
      ],
    );
  });

  it('puts the maximum in the last bin and returns nothing for no data', () => {
    const bins = histogram([{ name: 'x', values: [3, 4] }], 0.5);
    assert.deepEqual(
      bins.map((b) => [b.lo, b.count]),
      [
        [3, 1],
        [4, 1],
      ],
    );
    assert.deepEqual(histogram([{ name: 'x', values: [NaN] }], 1), []);
  });

  it('niceStep picks 1, 2 or 5 × 10^k giving at most the bins asked for', () => {
    assert.equal(niceStep(10, 50), 0.2);
    assert.equal(niceStep(64, 50), 2);
    assert.equal(niceStep(1, 4), 0.5);
    assert.equal(niceStep(0, 50), 1);
    for (const span of [0.37, 3, 17, 64, 999])
      assert.ok(span / niceStep(span, 50) <= 50, `span ${span}`);
  });
});
