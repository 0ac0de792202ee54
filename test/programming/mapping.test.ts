import assert from 'node:assert/strict';
import { isBenchError } from '../../drivers/driver.ts';
import { absPercentile, effectiveWeights, mapWeights } from '../../src/programming/mapping.ts';
import { gaussianWeights } from '../inference/fixtures.ts';

const refused = (fn: () => unknown, pattern: RegExp) =>
  assert.throws(fn, (e: unknown) => isBenchError(e, 'INVALID_ARGUMENT') && pattern.test(e.message));

describe('mapWeights', () => {
  it('puts the 95th percentile of |W| at g_max − g_min, the other side at g_min, and reports the scale', () => {
    const w = gaussianWeights(64 * 16, 1);
    const m = mapWeights(w, 64, 16);
    const p95 = absPercentile(w, 95);
    assert.ok(Math.abs(m.scaleMicroSPerUnit - 39 / p95) < 1e-9);
    assert.equal(m.rows, 64);
    assert.equal(m.cols, 32);
    for (let i = 0; i < 64; i++)
      for (let k = 0; k < 16; k++) {
        const [gp, gn] = [m.targetsMicroS[i * 32 + 2 * k]!, m.targetsMicroS[i * 32 + 2 * k + 1]!];
        assert.ok(gp === 1 || gn === 1, 'one side of each pair stays at g_min');
        assert.ok(gp >= 1 && gp <= 40 && gn >= 1 && gn <= 40);
      }
    // About 5% of the weights lie beyond the 95th percentile and clip.
    assert.ok(Math.abs(m.clipped / w.length - 0.05) < 0.01, `clipped ${m.clipped}`);
    const eff = effectiveWeights(m);
    for (let i = 0; i < w.length; i++)
      if (Math.abs(w[i]!) <= p95)
        assert.ok(Math.abs(eff[i]! - w[i]!) < 1e-5 * (1 + Math.abs(w[i]!)));
  });

  it('adjacent rows: input i on rows 2i (G+) and 2i+1 (G−), output k on column k', () => {
    const w = Float32Array.from([1, -2, 0.5, -0.25]);
    const m = mapWeights(w, 2, 2, { scheme: 'adjacent-row', percentile: 100 });
    assert.deepEqual([m.rows, m.cols], [4, 2]);
    assert.deepEqual(Array.from(m.targetsMicroS), [20.5, 1, 1, 40, 10.75, 1, 1, 5.875]);
    assert.deepEqual(Array.from(effectiveWeights(m)), Array.from(w));
  });

  it('quantises |ΔG| to N levels', () => {
    const w = gaussianWeights(256, 2);
    const m = mapWeights(w, 16, 16, { levels: 4, percentile: 100 });
    const allowed = [1, 14, 27, 40];
    for (const g of m.targetsMicroS)
      assert.ok(
        allowed.some((a) => Math.abs(a - g) < 1e-4),
        `${g}`,
      );
  });

  it('refuses NaN, Inf and wrong shapes naming the problem', () => {
    refused(() => mapWeights(Float32Array.from([1, NaN, 2, 3]), 2, 2), /weight \[0, 1\] is NaN/);
    refused(
      () => mapWeights(Float32Array.from([1, Infinity]), 1, 2),
      /weight \[0, 1\] is Infinity/,
    );
    refused(() => mapWeights(new Float32Array(6), 2, 2), /6 values, not 2×2 = 4/);
    refused(() => mapWeights(new Float32Array(0), 0, 2), /inputs must be a positive integer/);
    refused(() => mapWeights(new Float32Array(4), 2, 2, { levels: 1 }), /levels/);
    refused(() => mapWeights(new Float32Array(4), 2, 2, { percentile: 0 }), /percentile/);
  });
});
