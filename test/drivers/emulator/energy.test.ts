import assert from 'node:assert/strict';
import { isBenchError } from '../../../drivers/driver.ts';
import { datasheet } from '../../../drivers/emulator/energy.ts';
import { loadProfile } from '../../../drivers/emulator/profile.ts';

const profile = loadProfile('vlsi19-hfo2-256');
const within = (value: number, published: number, tol: number) =>
  assert.ok(
    Math.abs(value / published - 1) <= tol,
    `${value} is not within ${tol * 100}% of ${published}`,
  );

describe('energy and timing model', () => {
  it("reproduces the VLSI'19 macro's published figures within 5% at the default conditions", () => {
    const d = datasheet(profile);
    within(d.pjPerMac, 0.257, 0.05);
    within(d.powerMw, 1.52, 0.05);
    within(d.gops8bit, 5.12, 0.05);
    within(d.latencyNs8bit, 200, 0.05);
    // 1.52 mW / 0.257 pJ per MAC ≈ 5.9 G MAC/s ≈ 90,000 full-array MVMs per second.
    within(d.mvmPerS, 1.52e-3 / 0.257e-12 / 65536, 0.05);
  });

  it('moves with precision: fewer bits are faster and cheaper', () => {
    const d8 = datasheet(profile, { precisionBits: 8 });
    const d4 = datasheet(profile, { precisionBits: 4 });
    assert.ok(d4.latencyNs < d8.latencyNs && d4.gops > d8.gops && d4.mvmPerS > d8.mvmPerS);
    assert.ok(d4.pjPerMac < d8.pjPerMac);
    assert.equal(d4.gops8bit, d8.gops8bit);
  });

  it('moves with the clock: a slower clock lowers power and throughput, raises latency', () => {
    const fast = datasheet(profile);
    const slow = datasheet(profile, { clockHz: 25e6 });
    assert.ok(slow.powerMw < fast.powerMw && slow.mvmPerS < fast.mvmPerS);
    assert.ok(slow.latencyNs8bit > fast.latencyNs8bit && slow.gops8bit < fast.gops8bit);
    // Static power is paid for longer, so energy per MAC rises.
    assert.ok(slow.pjPerMac > fast.pjPerMac);
  });

  it('moves with input activity: sparser inputs spend less energy per MAC', () => {
    const a = [0.1, 0.25, 0.5, 1].map(
      (inputActivity) => datasheet(profile, { inputActivity }).pjPerMac,
    );
    for (let i = 1; i < a.length; i++) assert.ok(a[i]! > a[i - 1]!, a.join(' '));
  });

  it('rejects impossible conditions with INVALID_ARGUMENT', () => {
    for (const c of [
      { precisionBits: 0 },
      { precisionBits: 9 },
      { clockHz: -1 },
      { inputActivity: 0 },
      { inputActivity: 2 },
    ])
      assert.throws(
        () => datasheet(profile, c),
        (e) => isBenchError(e, 'INVALID_ARGUMENT'),
      );
  });
});
