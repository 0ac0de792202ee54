import assert from 'node:assert/strict';
import { ManualClock } from '../../../drivers/emulator/clock.ts';
import { referenceKernel } from '../../../drivers/emulator/kernel.ts';
import { MAP_RESOLUTION_DECADES, Macro, SMALL_BATCH } from '../../../drivers/emulator/macro.ts';
import { loadProfile } from '../../../drivers/emulator/profile.ts';

const ALL = Array.from({ length: 256 }, (_, i) => i);

/** A macro with every cell formed and written at t = 1000 s (manual clock). */
function written(seed = 1) {
  const profile = loadProfile('vlsi19-hfo2-256');
  const clock = new ManualClock(1000);
  const m = new Macro(profile, seed, clock, referenceKernel);
  for (let i = 0; i < m.cells.size; i++) {
    m.cells.formPulse(i, 5, 1.2, 1e-5);
    m.cells.placeExact(i, 1 + (i % 39));
  }
  return { m, clock };
}

describe('Macro conductance-map cache', () => {
  it('rebuilds after a write, then only when the youngest write aged by the resolution', () => {
    const { m, clock } = written();
    const input = new Uint8Array(256).fill(3);
    const at = (age: number) => {
      clock.set(1000 + age);
      m.mvm(ALL, ALL, input, 1);
      return m.mapBuilds;
    };
    const b0 = at(10);
    const step = 10 ** MAP_RESOLUTION_DECADES;
    assert.equal(at(10 * (1 + (step - 1) / 2)), b0, 'rebuilt within half the resolution');
    assert.equal(at(10 * step * 1.001), b0 + 1, 'not rebuilt past the resolution');
    // From then on, one rebuild per resolution step of age, whatever the call rate.
    let calls = 0;
    for (let age = 10 * step * 1.001; age < 100; age *= 1.001) {
      at(age);
      calls++;
    }
    const rebuilds = m.mapBuilds - (b0 + 1);
    // The span of age covered, in resolution steps; each rebuild lands on the first call past a
    // step (calls 0.1% apart in age), so steps are up to 0.043 of a step longer: 90–100%.
    const steps = Math.log10(100 / (10 * step * 1.001)) / MAP_RESOLUTION_DECADES;
    assert.ok(calls > 2000, `only ${calls} calls`);
    assert.ok(
      rebuilds >= 0.9 * steps && rebuilds <= steps + 1,
      `${rebuilds} rebuilds over ${steps.toFixed(1)} resolution steps of age`,
    );
    // Settled (older than the last published time): never again.
    const b1 = at(3 * 86400);
    assert.equal(at(30 * 86400), b1, 'rebuilt after relaxation settled');
    // A write invalidates at once.
    m.cells.placeExact(5, 20);
    assert.equal(at(30 * 86400 + 1e-6), b1 + 1, 'a write did not invalidate the map');
  });

  it('the cached map differs from an exact one by less than the documented 0.15 µS RMS', () => {
    const { m, clock } = written(2);
    clock.set(1010);
    const cached = m.conductances(clock.now()).slice();
    // Just under one resolution step later the cache is still used; compare with the truth.
    clock.set(1000 + 10 * 10 ** (0.99 * MAP_RESOLUTION_DECADES));
    assert.equal(m.conductances(clock.now()), m.conductances(clock.now()));
    const exact = new Float32Array(m.cells.size);
    m.cells.conductanceMap(clock.now(), exact);
    let s2 = 0;
    for (let i = 0; i < exact.length; i++) s2 += (exact[i]! - cached[i]!) ** 2;
    const rms = Math.sqrt(s2 / exact.length);
    assert.ok(rms > 0, 'the cells did not move at all (the test would prove nothing)');
    assert.ok(rms < 0.15, `stale by ${rms.toFixed(3)} µS RMS`);
  });

  it('each chip keeps its own cache: interleaved chips do not rebuild each other', () => {
    const chips = [written(3), written(4), written(5), written(6)];
    const input = new Uint8Array(256).fill(2);
    for (const { m, clock } of chips) {
      clock.set(1100);
      m.mvm(ALL, ALL, input, SMALL_BATCH);
    }
    const before = chips.map(({ m }) => m.mapBuilds);
    for (let k = 0; k < 200; k++) {
      for (const { m, clock } of chips) {
        clock.advance(1e-3);
        m.mvm(ALL, ALL, input, 1);
      }
    }
    chips.forEach(({ m }, c) =>
      assert.equal(m.mapBuilds, before[c], `chip ${c} rebuilt within 0.2 s at age 100 s`),
    );
  });
});
