import assert from 'node:assert/strict';
import { loadProfile } from '../../../drivers/emulator/profile.ts';
import type { Profile } from '../../../drivers/emulator/profile.ts';
import { EARLY_FACTOR, RelaxationTable, hashNormal } from '../../../drivers/emulator/relaxation.ts';

const near = (actual: number, expected: number, eps = 1e-9) =>
  assert.ok(Math.abs(actual - expected) <= eps, `${actual} is not ${expected} ± ${eps}`);

/** The published polynomial by hand: Σ c_m·x^m, x = G/40 µS. */
function poly(c: readonly number[], g: number): number {
  const x = Math.min(1, Math.max(0, g / 40));
  return c.reduce((s, cm, m) => s + cm * x ** m, 0);
}

describe('RelaxationTable (relaxation model)', () => {
  const profile = loadProfile('vlsi19-hfo2-256');
  const gMax = profile.conductance.gMaxMicroS;
  const table = new RelaxationTable(profile.relaxation, gMax);
  const [c1s, c1d] = profile.relaxation.sigmaPolyMicroS as [number[], number[], number[]];

  it('σ at the published times is the published polynomial (≈1.0/2.26/2.02/1.10 µS at 1 s)', () => {
    for (const g of [1, 2, 3.3, 5.5, 10, 20, 33, 40]) {
      near(table.sigmaAt(g, 1), poly(c1s, g));
      near(table.sigmaAt(g, 86400), poly(c1d, g));
    }
    // design.md §3's rounded anchors.
    near(table.sigmaAt(2, 1), 1.0, 0.05);
    near(table.sigmaAt(10, 1), 2.26, 0.01);
    near(table.sigmaAt(20, 1), 2.02, 0.01);
    near(table.sigmaAt(40, 1), 1.1, 0.01);
  });

  it('clamps x to [0, 1] (no negative σ above gMax) and scales by gMax/referenceGmax', () => {
    near(table.sigmaAt(60, 1), poly(c1s, 40));
    near(table.sigmaAt(0, 1), c1s[0]!);
    const at80 = new RelaxationTable(profile.relaxation, 80);
    near(at80.sigmaAt(40, 1), 2 * poly(c1s, 20));
  });

  it('variance is linear in log10(t) between published times, flat after the last', () => {
    const t = 3600;
    const w = Math.log10(t) / Math.log10(86400);
    const v1 = poly(c1s, 20) ** 2;
    const v2 = poly(c1d, 20) ** 2;
    near(table.sigmaAt(20, t), Math.sqrt(v1 + w * (v2 - v1)));
    const v3 = Math.max(v2, poly(profile.relaxation.sigmaPolyMicroS[2]!, 20) ** 2);
    near(table.sigmaAt(20, 1e7), Math.sqrt(v3));
  });

  it('never decreases in time, even where the 2-day fit dips below the 1-day one', () => {
    // At G = 10 µS the 2-day polynomial (3.66) is below the 1-day one (3.70).
    assert.ok(poly(profile.relaxation.sigmaPolyMicroS[2]!, 10) < poly(c1d, 10));
    let last = 0;
    for (let l = -4; l <= 6; l += 0.05) {
      const s = table.sigmaAt(10, 10 ** l);
      assert.ok(s >= last - 1e-12, `σ fell from ${last} to ${s} at 10^${l.toFixed(2)} s`);
      last = s;
    }
  });

  it('fades to 0 before the first time, variance linear in log10(t)', () => {
    const t0 = profile.relaxation.timesS[0]!;
    near(table.sigmaAt(10, EARLY_FACTOR * t0), 0);
    near(table.sigmaAt(10, 1e-6), 0);
    near(table.sigmaAt(10, 0), 0);
    near(table.sigmaAt(10, -5), 0);
    near(table.sigmaAt(10, t0 * Math.sqrt(EARLY_FACTOR)), poly(c1s, 10) / Math.SQRT2);
  });

  it('excursion: a pure function of (G0, age, seed) whose marginal σ is sigmaAt', () => {
    assert.equal(table.excursion(10, 5, 123), table.excursion(10, 5, 123));
    assert.equal(table.excursion(10, 0, 123), 0);
    const n = 20000;
    for (const t of [0.1, 1, 3600, 86400, 1e6]) {
      let s2 = 0;
      for (let seed = 0; seed < n; seed++) s2 += table.excursion(10, t, seed) ** 2;
      // σ̂ of n normals: relative standard error 1/√(2n) = 0.5%; 3% is 6 standard errors.
      const rel = Math.sqrt(s2 / n) / table.sigmaAt(10, t) - 1;
      assert.ok(Math.abs(rel) < 0.03, `σ at ${t} s off by ${(rel * 100).toFixed(1)}%`);
    }
  });

  it('time correlation: increments between published times are independent (diffusive law)', () => {
    // Var(X(1 d) − X(1 s)) = σ1d² − σ1s² and Cov(X(1 s), X(1 d)) = σ1s²; a persistent excursion
    // (the old model) would give (σ1d − σ1s)² and σ1s·σ1d. n = 20000: the sample variance of
    // a normal has relative SE √(2/n) = 1%; 5% is 5 standard errors, and the two models differ
    // by 3.7× in the increment's variance at 20 µS.
    const n = 20000;
    const g = 20;
    let d2 = 0;
    let c = 0;
    for (let seed = 0; seed < n; seed++) {
      const a = table.excursion(g, 1, seed);
      const b = table.excursion(g, 86400, seed);
      d2 += (b - a) ** 2;
      c += a * b;
    }
    const s1 = table.sigmaAt(g, 1);
    const s2 = table.sigmaAt(g, 86400);
    const vDiff = d2 / n / (s2 * s2 - s1 * s1) - 1;
    assert.ok(Math.abs(vDiff) < 0.05, `increment variance off by ${(vDiff * 100).toFixed(1)}%`);
    const cov = c / n / (s1 * s1) - 1;
    assert.ok(Math.abs(cov) < 0.05, `covariance off by ${(cov * 100).toFixed(1)}%`);
  });

  it('hashNormal is N(0, 1) and decorrelated across seeds and segments', () => {
    let s = 0;
    let s2 = 0;
    let c = 0;
    const n = 50000;
    for (let i = 0; i < n; i++) {
      const a = hashNormal(i, 0);
      const b = hashNormal(i, 1);
      s += a;
      s2 += a * a;
      c += a * b;
    }
    // SE of the mean 1/√n = 0.0045, of the variance √(2/n) = 0.0063, of the correlation 0.0045.
    assert.ok(Math.abs(s / n) < 0.025, `mean ${s / n}`);
    assert.ok(Math.abs(s2 / n - 1) < 0.035, `variance ${s2 / n}`);
    assert.ok(Math.abs(c / n) < 0.025, `correlation ${c / n}`);
  });

  it('handles other time rows and reports an all-zero model', () => {
    const relaxation: Profile['relaxation'] = {
      ...profile.relaxation,
      timesS: [1, 100, 10000],
      sigmaPolyMicroS: [[1], [3], [5]],
    };
    const t3 = new RelaxationTable(relaxation, 40);
    near(t3.sigmaAt(0, 10), Math.sqrt(5));
    near(t3.sigmaAt(10, 1000), Math.sqrt(17));
    near(t3.sigmaAt(5, 100), 3);
    assert.equal(t3.isZero, false);
    assert.equal(new RelaxationTable(loadProfile('ideal').relaxation, 40).isZero, true);
  });
});
