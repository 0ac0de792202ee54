import assert from 'node:assert/strict';
import type { Polarity } from '../../../drivers/driver.ts';
import { isBenchError } from '../../../drivers/driver.ts';
import { CellArray, STATE_ARRAYS, Stuck } from '../../../drivers/emulator/cells.ts';
import { ManualClock } from '../../../drivers/emulator/clock.ts';
import { modelStatistics } from '../../../drivers/emulator/model-statistics.ts';
import { loadProfile } from '../../../drivers/emulator/profile.ts';
import type { Profile } from '../../../drivers/emulator/profile.ts';
import { RelaxationTable } from '../../../drivers/emulator/relaxation.ts';
import { Rng } from '../../../drivers/emulator/rng.ts';

const DAY = 86400;

function chip(profileName = 'vlsi19-hfo2-256', seed = 1) {
  const profile = loadProfile(profileName);
  const rng = new Rng(seed);
  const clock = new ManualClock(1000);
  return { profile, rng, clock, cells: new CellArray(profile, rng, clock) };
}

/** Forming ramp 2.0 → 5.0 V in 0.1 V steps over cells [0, n), as the driver's form() does. */
function formAll(cells: CellArray, n = cells.size, gateV = 1.2, stopV = 5): void {
  for (let i = 0; i < n; i++) {
    for (let k = 0; k <= Math.round((stopV - 2) * 10) && !cells.isFormed(i); k++)
      cells.formPulse(i, 2 + k / 10, gateV, 1e-5);
  }
}

/** Indices of the non-stuck cells among the first n. */
function healthy(cells: CellArray, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (cells.stuck(i) === Stuck.No) out.push(i);
  return out;
}

function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return s / xs.length;
}

function std(xs: ArrayLike<number>): number {
  const m = mean(xs);
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += (xs[i]! - m) ** 2;
  return Math.sqrt(s / (xs.length - 1));
}

/** `out[i]` equals fround(expected(i)) for every i; reports the first mismatch only (no huge diff). */
function sameMap(out: Float32Array, expected: (i: number) => number, what: string): void {
  for (let i = 0; i < out.length; i++) {
    const e = Math.fround(expected(i));
    if (out[i] !== e) assert.fail(`${what}: cell ${i} is ${out[i]} in the map, ${e} expected`);
  }
}

/** |actual/expected − 1| ≤ rel. */
function relClose(actual: number, expected: number, rel: number, what: string): void {
  assert.ok(
    Math.abs(actual / expected - 1) <= rel,
    `${what}: ${actual.toFixed(4)} vs expected ${expected.toFixed(4)} (±${rel * 100}%)`,
  );
}

describe('CellArray', function () {
  this.timeout(20000);

  describe('stuck cells', () => {
    for (const name of ['vlsi19-hfo2-256', 'harsh']) {
      it(`${name}: the stuck fraction and the low/high split match the profile (4σ binomial)`, () => {
        const { cells, profile } = chip(name, 11);
        let low = 0;
        let high = 0;
        for (let i = 0; i < cells.size; i++) {
          if (cells.stuck(i) === Stuck.Low) low++;
          else if (cells.stuck(i) === Stuck.High) high++;
        }
        const n = cells.size;
        const p = profile.stuck.fraction;
        const stuck = low + high;
        assert.ok(
          Math.abs(stuck - n * p) <= 4 * Math.sqrt(n * p * (1 - p)),
          `${stuck} stuck of ${n}`,
        );
        const q = profile.stuck.lowShare;
        assert.ok(
          Math.abs(low - stuck * q) <= 4 * Math.sqrt(stuck * q * (1 - q)),
          `${low} low of ${stuck}`,
        );
      });
    }

    it('read gMin / gMax from the start, count as formed and ignore every pulse', () => {
      const { cells, profile, clock } = chip();
      const { gMinMicroS, gMaxMicroS } = profile.conductance;
      const stuck = [...Array(cells.size).keys()]
        .filter((i) => cells.stuck(i) !== Stuck.No)
        .slice(0, 200);
      const v0 = cells.version;
      for (const i of stuck) {
        const g = Math.fround(cells.stuck(i) === Stuck.Low ? gMinMicroS : gMaxMicroS);
        assert.equal(cells.isFormed(i), true);
        assert.equal(cells.formPulse(i, 5, 1.2, 1e-5), true);
        assert.equal(cells.pulse(i, 'SET', 4, 1e-6, 3.3), false);
        assert.equal(cells.pulse(i, 'RESET', 4, 1e-6, 3.3), false);
        assert.equal(cells.placeExact(i, 20), false);
        clock.advance(DAY);
        assert.equal(cells.conductanceAt(i, clock.now()), g);
      }
      assert.equal(cells.version, v0);
    });
  });

  describe('forming', () => {
    it('virgin cells read virginMicroS and ignore SET/RESET pulses', () => {
      const { cells, profile } = chip();
      const v0 = cells.version;
      for (const i of healthy(cells, 500)) {
        assert.equal(cells.isFormed(i), false);
        assert.equal(cells.pulse(i, 'SET', 4, 1e-6, 2.4), false);
        assert.equal(cells.pulse(i, 'RESET', 4, 1e-6, 2.4), false);
        assert.equal(cells.conductanceAt(i, 1e6), Math.fround(profile.conductance.virginMicroS));
      }
      assert.equal(cells.version, v0);
    });

    it('a ramp forms cells near their forming voltage; the formed G follows the gate', () => {
      const { cells, profile } = chip('vlsi19-hfo2-256', 3);
      const ids = healthy(cells, 8192);
      // Ramp to the mean forming voltage first: about half form.
      formAll(cells, 8192, 1.2, profile.forming.voltageMeanV);
      const half = ids.filter((i) => cells.isFormed(i)).length / ids.length;
      assert.ok(Math.abs(half - 0.5) < 0.1, `formed at the mean voltage: ${half}`);
      formAll(cells, 8192, 1.2, 5);
      assert.ok(
        ids.every((i) => cells.isFormed(i)),
        'every healthy cell formed by the 5 V ramp',
      );
      // All formed cells of the second half: ≈ formedMicroS at gate 1.2 V (those formed late count too).
      const g = ids.map((i) => cells.conductanceAt(i, 1000));
      relClose(mean(g), profile.forming.formedMicroS, 0.03, 'formed G at gate 1.2 V');
      const { cells: c2 } = chip('vlsi19-hfo2-256', 4);
      formAll(c2, 4096, 0.6);
      const g2 = healthy(c2, 4096).map((i) => c2.conductanceAt(i, 1000));
      relClose(mean(g2), profile.forming.formedMicroS / 2, 0.03, 'formed G at gate 0.6 V');
    });

    it('a pulse well below the forming voltage does not form', () => {
      const { cells } = chip();
      for (const i of healthy(cells, 1000)) assert.equal(cells.formPulse(i, 2, 1.2, 1e-5), false);
    });
  });

  describe('SET and RESET pulses', () => {
    /** Mean ΔG of one pulse over `ids`, each cell first placed at g0. */
    function meanStep(
      cells: CellArray,
      ids: number[],
      g0: number,
      pol: Polarity,
      v: number,
      gate = 2.4,
      width = 1e-6,
    ) {
      let s = 0;
      for (const i of ids) {
        cells.placeExact(i, g0);
        cells.pulse(i, pol, v, width, gate);
        s += cells.conductanceAt(i, 1000) - g0;
      }
      return s / ids.length;
    }

    const setup = () => {
      const c = chip('vlsi19-hfo2-256', 5);
      formAll(c.cells, 4096);
      return { ...c, ids: healthy(c.cells, 4096) };
    };

    it('SET raises, RESET lowers, each effective pulse bumps version', () => {
      const { cells, ids } = setup();
      const v0 = cells.version;
      let raised = 0;
      let lowered = 0;
      for (const i of ids) {
        cells.placeExact(i, 20);
        assert.ok(cells.pulse(i, 'SET', 2.5, 1e-6, 2.4), `cell ${i}: SET not applied`);
        const up = cells.conductanceAt(i, 1000);
        assert.ok(up >= 20, `cell ${i}: SET gave ${up}`);
        if (up > 20) raised++;
        cells.pulse(i, 'RESET', 2.5, 1e-6, 2.4);
        const down = cells.conductanceAt(i, 1000);
        assert.ok(down <= up, `cell ${i}: RESET gave ${down} from ${up}`);
        if (down < up) lowered++;
      }
      // Cycle-to-cycle noise max(0, 1 + 0.3ξ) lets about one pulse in 2000 do nothing.
      assert.ok(
        raised >= 0.995 * ids.length && lowered >= 0.995 * ids.length,
        `${raised}, ${lowered} of ${ids.length}`,
      );
      assert.equal(cells.version, v0 + 3 * ids.length);
    });

    it('steps shrink near the window edges (soft bounds)', () => {
      const { cells, ids } = setup();
      const setLow = meanStep(cells, ids, 5, 'SET', 2.5);
      const setHigh = meanStep(cells, ids, 35, 'SET', 2.5);
      const resetHigh = -meanStep(cells, ids, 35, 'RESET', 2.5);
      const resetLow = -meanStep(cells, ids, 5, 'RESET', 2.5);
      assert.ok(setHigh < 0.5 * setLow, `SET step ${setLow} at 5 µS, ${setHigh} at 35 µS`);
      assert.ok(
        resetLow < 0.2 * resetHigh,
        `RESET step ${resetHigh} at 35 µS, ${resetLow} at 5 µS`,
      );
    });

    it('steps grow monotonically with amplitude and width; nothing below threshold', () => {
      const { cells, ids } = setup();
      let prev = 0;
      for (const v of [1.5, 2, 2.5, 3, 3.5, 4]) {
        const step = meanStep(cells, ids, 20, 'SET', v);
        assert.ok(step > prev, `SET ${v} V: ${step} ≤ ${prev}`);
        prev = step;
      }
      prev = 0;
      for (const v of [1.5, 2, 2.5, 3, 3.5, 4]) {
        const step = -meanStep(cells, ids, 20, 'RESET', v);
        assert.ok(step > prev, `RESET ${v} V: ${step} ≤ ${prev}`);
        prev = step;
      }
      const wide = meanStep(cells, ids, 20, 'SET', 2, 2.4, 1e-5);
      const narrow = meanStep(cells, ids, 20, 'SET', 2, 2.4, 1e-6);
      assert.ok(wide > 1.5 * narrow, `10 µs step ${wide} not > 1.5 × 1 µs step ${narrow}`);
      assert.equal(meanStep(cells, ids, 20, 'SET', 0.9), 0);
      assert.equal(meanStep(cells, ids, 20, 'RESET', 0.9), 0);
      // RESET needs the access transistor on.
      assert.equal(meanStep(cells, ids, 20, 'RESET', 3, 0.5), 0);
    });

    it('the gate compliance caps SET', () => {
      const { cells, ids, profile } = setup();
      const { gMinMicroS, gMaxMicroS } = profile.conductance;
      const p = profile.pulse;
      const gate = 1.0;
      const cap =
        gMinMicroS +
        ((gMaxMicroS - gMinMicroS) * (gate - p.gateThresholdV)) /
          (p.complianceGateV - p.gateThresholdV);
      const g: number[] = [];
      for (const i of ids.slice(0, 1000)) {
        cells.placeExact(i, 5);
        for (let k = 0; k < 100; k++) cells.pulse(i, 'SET', 4, 1e-6, gate);
        g.push(cells.conductanceAt(i, 1000));
      }
      assert.ok(Math.max(...g) <= cap + 1e-4, `max ${Math.max(...g)} above compliance ${cap}`);
      assert.ok(mean(g) > cap - 0.05, `mean ${mean(g)} does not reach compliance ${cap}`);
      // Already above the compliance level: SET does nothing.
      const i = ids[0]!;
      cells.placeExact(i, 30);
      cells.pulse(i, 'SET', 4, 1e-6, gate);
      assert.equal(cells.conductanceAt(i, 1000), 30);
    });
  });

  describe('device-to-device variation', () => {
    it(`step-size spread across cells ≈ stepDtoD (±20%)`, () => {
      const { cells, profile } = chip('vlsi19-hfo2-256', 6);
      formAll(cells, 4096);
      const ids = healthy(cells, 4096);
      const K = 16;
      const steps = ids.map((i) => {
        let s = 0;
        for (let k = 0; k < K; k++) {
          cells.placeExact(i, 20);
          cells.pulse(i, 'SET', 1.5, 1e-6, 2.4);
          s += cells.conductanceAt(i, 1000) - 20;
        }
        return s / K;
      });
      const p = profile.pulse;
      // The per-cell mean still carries cycle-to-cycle noise: (1+σd²)(1+σc²/K) − 1 = observed².
      const observed = std(steps) / mean(steps);
      const dtod = Math.sqrt((1 + observed ** 2) / (1 + p.cycleToCycle ** 2 / K) - 1);
      relClose(dtod, p.stepDtoD, 0.2, 'device-to-device step spread');
    });

    it('saturation levels: upper headroom spread ≈ windowDtoD, lower level ≈ gMin/2 (±20%)', () => {
      const { cells, profile } = chip('vlsi19-hfo2-256', 7);
      formAll(cells, 4096);
      const ids = healthy(cells, 4096);
      const { gMinMicroS: gMin, gMaxMicroS: gMax } = profile.conductance;
      const p = profile.pulse;
      const head: number[] = [];
      const lo: number[] = [];
      for (const i of ids) {
        for (let k = 0; k < 150; k++) cells.pulse(i, 'SET', 4, 1e-6, 3.3);
        head.push((cells.conductanceAt(i, 1000) - gMax) / (p.headroom * (gMax - gMin)));
        for (let k = 0; k < 150; k++) cells.pulse(i, 'RESET', 4, 1e-6, 3.3);
        lo.push(cells.conductanceAt(i, 1000) / gMin);
      }
      relClose(mean(head), 1, 0.05, 'mean upper headroom multiplier');
      relClose(std(head), p.windowDtoD, 0.2, 'upper headroom spread');
      relClose(mean(lo), 0.5, 0.05, 'mean lower level / gMin');
      relClose(std(lo), 0.5 * p.windowDtoD, 0.2, 'lower level spread / gMin');
    });
  });

  describe('read noise', () => {
    it('σ ≈ √((relative·G)² + additive²) per read per band (±10%), /√N when averaging N, reads change nothing', () => {
      const { cells, profile, rng } = chip('vlsi19-hfo2-256', 8);
      formAll(cells, 3000);
      const ids = healthy(cells, 3000);
      const { relative: rel, additiveMicroS: add } = profile.readNoise;
      // Three bands: where the additive part dominates (1–4 µS), where both matter, the top.
      const bands = [
        [1, 4],
        [9, 11],
        [36, 40],
      ] as const;
      const per = Math.floor(ids.length / bands.length);
      bands.forEach(([lo, hi], b) => {
        const group = ids.slice(b * per, (b + 1) * per);
        for (const i of group) cells.placeExact(i, lo + (hi - lo) * rng.uniform());
        const v0 = cells.version;
        const dev = (average: number, reads: number) => {
          const d = new Float64Array(group.length * reads);
          let k = 0;
          let expected2 = 0;
          for (const i of group) {
            const g = cells.conductanceAt(i, 1000);
            expected2 += (rel * rel * g * g + add * add) * reads;
            for (let r = 0; r < reads; r++) d[k++] = cells.read(i, average) - g;
          }
          return { d, expected: Math.sqrt(expected2 / d.length / average) };
        };
        // ≥ 30,000 reads per band: σ̂ has relative standard error 1/√(2n) < 0.5%; 10% is > 20 SE.
        const single = dev(1, 40);
        relClose(std(single.d), single.expected, 0.1, `read σ at ${lo}–${hi} µS`);
        assert.ok(
          Math.abs(mean(single.d)) < (5 * single.expected) / Math.sqrt(single.d.length),
          `read noise mean ${mean(single.d)} at ${lo}–${hi} µS`,
        );
        const avg = dev(16, 20);
        relClose(std(avg.d), avg.expected, 0.1, `σ of 16 averaged reads at ${lo}–${hi} µS`);
        assert.equal(cells.version, v0, 'reads changed the cells');
      });
    });
  });

  describe('relaxation after programming', () => {
    const N = 4000;
    const bands = [0, 0.25, 0.5, 1];

    /** The published σ at time row `k` for a cell at `g` µS (the profile's polynomial). */
    function published(profile: Profile, k: number, g: number): number {
      return new RelaxationTable(profile.relaxation, profile.conductance.gMaxMicroS).polySigma(
        k,
        g,
      );
    }

    /** Place N healthy cells per band, return their indices and programmed values. */
    function programBands(profileName = 'vlsi19-hfo2-256') {
      const c = chip(profileName, 9);
      const { cells, profile } = c;
      const { gMinMicroS: gMin, gMaxMicroS: gMax } = profile.conductance;
      formAll(cells, bands.length * N + 400);
      const ids = healthy(cells, bands.length * N + 400);
      // Band 0 cannot be written below gMin: use gMin itself.
      const groups = bands.map((r, b) => {
        const g0 = Math.max(gMin, r * gMax);
        const group = ids.slice(b * N, (b + 1) * N);
        for (const i of group) cells.placeExact(i, g0);
        return { r: g0 / gMax, g0, group };
      });
      return { ...c, groups };
    }

    const deviations = (cells: CellArray, group: number[], g0: number, t: number) =>
      Float64Array.from(group, (i) => cells.conductanceAt(i, t) - g0);

    describe('population per band against the reference (aihwkit ReRamWan2022, clamp at 0 µS)', () => {
      // 4000 cells per band. The σ̂ of n draws has relative standard error √((κ − 1)/(4n)):
      // 1/√(2n) = 1.1% for a normal (κ = 3); the floor-clamped, band-pooled deviations have
      // κ < 5, so SE < 1.6%. The 10% bound is > 6 standard errors: the test does not flake,
      // and the old model (linear between rounded anchors, clamp at G_lo ≈ 0.5 µS) missed the
      // low bands by 20–30%, which it catches.
      const stats = modelStatistics(loadProfile('vlsi19-hfo2-256'), { cellsPerBand: 4000 });
      for (const b of stats) {
        for (const key of ['sigma1s', 'sigma1d'] as const) {
          it(`${b.label}: σ at ${key === 'sigma1s' ? '1 s' : '1 day'} within 10% of the reference`, () => {
            relClose(b[key].model, b[key].reference, 0.1, `${b.label} ${key}`);
          });
        }
        it(`${b.label}: read-noise σ within 10% of √((1%·G)² + (0.4 µS)²)`, () => {
          relClose(b.readNoise.model, b.readNoise.reference, 0.1, `${b.label} read noise`);
        });
      }

      it('time correlation: G(1 day) − G(1 s) spreads as √(σ1d² − σ1s²) (diffusive), ±10%', () => {
        // Above the floor (the clamp at 0 µS distorts increments of the 1–4 µS bands). A
        // persistent excursion would give σ1d − σ1s: 1.4/1.9/1.6 µS at G/gMax 0.25/0.5/1
        // against 2.9/3.3/2.5 µS here, far outside 10%; independent draws per time (aihwkit's
        // sampling) would give √(σ1s² + σ1d²), 4.3/4.4/3.0 µS, also outside.
        for (const b of stats.slice(2)) {
          relClose(b.drift.model, b.drift.diffusive, 0.1, `${b.label} spread of G(1 d) − G(1 s)`);
          // ρ(X1s, X1d) = σ1s/σ1d for independent increments; SE of ρ̂ ≈ (1 − ρ²)/√n < 0.016.
          const rho = b.sigma1s.reference / b.sigma1d.reference;
          assert.ok(
            Math.abs(b.correlation - rho) < 0.08,
            `${b.label}: correlation ${b.correlation.toFixed(3)} vs σ1s/σ1d ${rho.toFixed(3)}`,
          );
        }
      });
    });

    it('zero mean above the floor at 1 s and 1 day', () => {
      const { cells, profile, clock, groups } = programBands();
      const t0 = clock.now();
      for (const [k, dt] of [
        [0, 1],
        [1, DAY],
      ] as const) {
        clock.set(t0 + dt);
        for (const { r, g0, group } of groups.slice(1)) {
          const d = deviations(cells, group, g0, clock.now());
          const expected = published(profile, k, g0);
          relClose(std(d), expected, 0.1, `σ at G/gMax=${r}, ${dt} s`);
          assert.ok(
            Math.abs(mean(d)) < (4 * expected) / Math.sqrt(d.length),
            `mean ${mean(d)} at G/gMax=${r}`,
          );
        }
      }
    });

    it('is invisible right after a pulse and fades in over the decades before the first time', () => {
      const { cells, clock, groups, profile } = programBands();
      const { g0, group } = groups[2]!;
      const now = clock.now();
      const moved = (t: number) => group.filter((i) => cells.conductanceAt(i, t) !== g0).length;
      assert.equal(moved(now), 0, 'cells moved at the instant of the write');
      assert.equal(moved(now + 1e-4), 0, 'cells moved 0.1 ms after the write');
      // Variance linear in log10(t) from 0 at 1 ms to σ1s² at 1 s: half of it at 32 ms.
      const d = deviations(cells, group, g0, now + Math.sqrt(1e-3));
      relClose(std(d), published(profile, 0, g0) / Math.SQRT2, 0.1, 'σ at 32 ms');
    });

    it('re-programming rounds shrink σ by reprogramShrink down to minShrink', () => {
      const { cells, clock, groups, profile } = programBands();
      const { g0, group } = groups[2]!;
      const rx = profile.relaxation;
      const s1 = published(profile, 0, g0);
      let shrink = 1;
      for (let round = 1; round <= 4; round++) {
        const d = deviations(cells, group, g0, clock.now() + 1);
        relClose(std(d), shrink * s1, 0.1, `σ at 1 s, round ${round}`);
        clock.advance(DAY);
        for (const i of group) cells.placeExact(i, g0);
        shrink = Math.max(rx.minShrink, shrink * rx.reprogramShrink);
      }
      // Pulses closer together than roundGapS belong to the same round: no further shrink.
      clock.advance(rx.roundGapS / 2);
      for (const i of group) cells.placeExact(i, g0);
      relClose(
        std(deviations(cells, group, g0, clock.now() + 1)),
        rx.minShrink * s1,
        0.1,
        'same round',
      );
    });

    it('clamps at the profile floor (0 µS), not at the pulse saturation level', () => {
      const { cells, clock, groups } = programBands();
      const { g0, group } = groups[0]!;
      const d = deviations(cells, group, g0, clock.now() + DAY);
      const floor = d.filter((x) => x <= -g0 + 1e-6).length / d.length;
      const min = Math.min(...d) + g0;
      // σ ≈ 1.2 µS at 1 µS: P(G0 + X < 0) = Φ(−0.82) ≈ 0.2 of the cells sit on the floor.
      assert.ok(min >= 0, `a relaxed conductance went below 0 µS: ${min}`);
      assert.ok(floor > 0.1 && floor < 0.3, `${(floor * 100).toFixed(1)}% of cells at the floor`);
    });

    it('conductanceMap equals conductanceAt everywhere', () => {
      const { cells, clock } = programBands();
      const out = new Float32Array(cells.size);
      for (const dt of [0, 0.01, 1, 3600, DAY, 30 * DAY]) {
        cells.conductanceMap(clock.now() + dt, out);
        sameMap(out, (i) => cells.conductanceAt(i, clock.now() + dt), `${dt} s after the writes`);
      }
      // Every cell written at its own time.
      const { cells: c2, clock: k2 } = chip('vlsi19-hfo2-256', 10);
      for (let i = 0; i < c2.size; i += 7) {
        c2.formPulse(i, 5, 1.2, 1e-5);
        k2.advance(1e-4);
        c2.placeExact(i, 1 + (i % 40));
      }
      for (const dt of [0, 1, 100]) {
        c2.conductanceMap(k2.now() + dt, out);
        sameMap(out, (i) => c2.conductanceAt(i, k2.now() + dt), `cells of mixed ages, +${dt} s`);
      }
    });

    it('is absent on the ideal profile', () => {
      const { cells, clock, groups } = programBands('ideal');
      for (const { g0, group } of groups) {
        const moved = group.filter((i) => cells.conductanceAt(i, clock.now() + DAY) !== g0);
        assert.equal(moved.length, 0, `${moved.length} cells relaxed at ${g0} µS`);
      }
    });
  });

  describe('program (board-side write-verify)', () => {
    it('default profile: ≥ 99.5% of healthy cells within ±1 µS, ≤ 10 pulses per cell, within limits', () => {
      const { profile, rng, clock } = chip('vlsi19-hfo2-256', 12);
      const lim = profile.limits;
      const seen = { maxV: 0, minV: Infinity, gates: new Set<number>(), widths: new Set<number>() };
      // Spy on the pulses the firmware applies.
      class Spy extends CellArray {
        override pulse(i: number, pol: Polarity, v: number, w: number, gate: number): boolean {
          const l = pol === 'SET' ? lim.set : lim.reset;
          assert.ok(v >= l.amplitudeV.min && v <= l.amplitudeV.max, `${pol} amplitude ${v}`);
          assert.ok(gate >= l.gateV.min && gate <= l.gateV.max, `${pol} gate ${gate}`);
          seen.maxV = Math.max(seen.maxV, v);
          seen.minV = Math.min(seen.minV, v);
          seen.widths.add(w);
          return super.pulse(i, pol, v, w, gate);
        }
      }
      const cells = new Spy(profile, rng, clock);
      formAll(cells, 4096);
      const ids = healthy(cells, 4096);
      let converged = 0;
      let truly = 0;
      let pulses = 0;
      let maxPulses = 0;
      for (const i of ids) {
        const target = 1 + 39 * rng.uniform();
        const r = cells.program(
          i,
          target,
          1,
          lim.maxProgramIterations,
          lim.maxProgramPulsesPerPolarity,
          1,
        );
        if (r.converged) {
          converged++;
          assert.ok(
            Math.abs(r.finalMicroS - target) <= 1,
            `cell ${i}: converged at ${r.finalMicroS} for ${target}`,
          );
        }
        if (Math.abs(cells.conductanceAt(i, clock.now()) - target) <= 1) truly++;
        pulses += r.pulses;
        maxPulses = Math.max(maxPulses, r.pulses);
      }
      const frac = converged / ids.length;
      const perCell = pulses / ids.length;
      console.log(
        `      ${ids.length} cells: ${(100 * frac).toFixed(2)}% converged (true G within ±1 µS: ${((100 * truly) / ids.length).toFixed(1)}%), ` +
          `${perCell.toFixed(2)} pulses/cell (max ${maxPulses}), amplitudes ${seen.minV.toFixed(2)}–${seen.maxV.toFixed(2)} V`,
      );
      assert.ok(frac >= 0.995, `converged ${frac}`);
      assert.ok(perCell <= 10, `pulses per cell ${perCell}`);
      assert.deepEqual([...seen.widths], [profile.pulse.referenceWidthS]);
    });

    it('respects the iteration and per-polarity pulse caps', () => {
      const { cells } = chip('vlsi19-hfo2-256', 13);
      formAll(cells, 600);
      for (const i of healthy(cells, 600)) {
        cells.placeExact(i, 35);
        const r = cells.program(i, 2, 0.1, 50, 2, 1);
        assert.ok(r.pulses <= 4, `${r.pulses} pulses with 2 per polarity`);
        cells.placeExact(i, 35);
        const capped = cells.program(i, 2, 0.1, 3, 30, 1).pulses;
        assert.ok(capped <= 2, `cell ${i}: ${capped} pulses in 3 iterations`);
      }
    });

    it('does not pulse virgin cells; stuck cells get one verify', () => {
      const { cells, profile } = chip('harsh', 14);
      const v0 = cells.version;
      for (let i = 0; i < 2000; i++) {
        const s = cells.stuck(i);
        const target = s === Stuck.High ? profile.conductance.gMaxMicroS : 20;
        const r = cells.program(i, target, 1, 50, 30, 1);
        assert.equal(r.pulses, 0);
        assert.equal(r.converged, s === Stuck.High && Math.abs(r.finalMicroS - target) <= 1);
      }
      assert.equal(cells.version, v0);
    });

    it('ideal profile: one pulse lands exactly on target', () => {
      const { cells, rng } = chip('ideal', 15);
      formAll(cells, 2000);
      for (let i = 0; i < 2000; i++) {
        const target = 1 + 39 * rng.uniform();
        const r = cells.program(i, target, 1, 50, 30, 1);
        assert.deepEqual(r, { finalMicroS: Math.fround(target), pulses: 1, converged: true });
      }
    });
  });

  describe('determinism and saved state', () => {
    /** A mixed workload: forming, programming, free pulses, time passing. */
    function workload(cells: CellArray, clock: ManualClock, rng: Rng, from: number): void {
      for (let i = from; i < from + 300; i++) {
        for (let v = 2; v <= 5 && !cells.isFormed(i); v += 0.1) cells.formPulse(i, v, 1.2, 1e-5);
        cells.program(i, 1 + 39 * rng.uniform(), 1, 50, 30, 1);
        cells.pulse(i, rng.uniform() < 0.5 ? 'SET' : 'RESET', 2 + rng.uniform(), 1e-6, 2.4);
        clock.advance(0.01);
      }
      clock.advance(3600);
    }

    const map = (cells: CellArray, t: number) => {
      const out = new Float32Array(cells.size);
      cells.conductanceMap(t, out);
      return out;
    };

    it('the same seed gives the same bits; another seed does not', () => {
      const a = chip('vlsi19-hfo2-256', 21);
      const b = chip('vlsi19-hfo2-256', 21);
      const c = chip('vlsi19-hfo2-256', 22);
      for (const x of [a, b, c]) workload(x.cells, x.clock, x.rng, 0);
      const mb = map(b.cells, b.clock.now());
      sameMap(map(a.cells, a.clock.now()), (i) => mb[i]!, 'chip a vs chip b (same seed)');
      assert.equal(a.cells.version, b.cells.version);
      const ma = map(a.cells, a.clock.now());
      const mc = map(c.cells, c.clock.now());
      assert.ok(
        ma.some((v, i) => v !== mc[i]),
        'another seed gave the same conductance map',
      );
    });

    it('toState/fromState continues identically and stays within 60 bytes per cell', () => {
      const a = chip('vlsi19-hfo2-256', 23);
      workload(a.cells, a.clock, a.rng, 0);
      const state = a.cells.toState();
      const rngState = a.rng.getState();
      const t = a.clock.now();
      let bytes = 0;
      for (const k of Object.keys(STATE_ARRAYS)) bytes += (state[k] as Float32Array).byteLength;
      assert.ok(bytes / a.cells.size <= 60, `${bytes / a.cells.size} bytes per cell`);

      workload(a.cells, a.clock, a.rng, 100);
      const rng = new Rng(0);
      rng.setState(rngState);
      const clock = new ManualClock(t);
      const b = CellArray.fromState(a.profile, state, rng, clock);
      workload(b, clock, rng, 100);
      const ma = map(a.cells, a.clock.now());
      sameMap(map(b, clock.now()), (i) => ma[i]!, 'restored chip vs original');
      assert.equal(b.version, a.cells.version);
    });

    it('fromState rejects a state of another geometry or with a missing array (STATE_INVALID)', () => {
      const { cells, profile, rng, clock } = chip();
      const state = cells.toState();
      assert.throws(
        () => CellArray.fromState({ ...profile, rows: 128 }, state, rng, clock),
        (e) => isBenchError(e, 'STATE_INVALID'),
      );
      const { g0: _g0, ...missing } = state;
      assert.throws(
        () => CellArray.fromState(profile, missing, rng, clock),
        (e) => isBenchError(e, 'STATE_INVALID'),
      );
    });
  });
});
