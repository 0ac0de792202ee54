import assert from 'node:assert/strict';
import { isBenchError } from '../../../drivers/driver.ts';
import { datasheet, integrationWindowS, refractoryS } from '../../../drivers/emulator/energy.ts';
import { loadProfile, parseProfile, type Profile } from '../../../drivers/emulator/profile.ts';
import { ifcTransfer, saturationCount } from '../../../drivers/emulator/readout.ts';

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

  it('every timing parameter is physically possible at every setting within the limits', () => {
    const lim = profile.limits;
    const period = 1 / profile.clockHz;
    // VLSI'19: the IFC fires at most at 99.24 MHz; input read pulses are clocked (≥ 1 period).
    assert.equal(profile.ifc.maxSpikeRateHz, 99.24e6);
    assert.ok(profile.ifc.readPulseS >= period, `read pulse ${profile.ifc.readPulseS} s`);
    assert.ok(
      profile.ifc.readPulseS <= profile.timing.cyclesPerInputPulse * period,
      'the read pulse does not fit its slot',
    );
    for (let bits = 1; bits <= 8; bits++) {
      for (let vth = lim.vthV.min; vth <= lim.vthV.max + 1e-9; vth += 0.05) {
        const window = integrationWindowS(profile, bits);
        const t0 = refractoryS(profile, vth);
        const s = { precisionBits: bits, vthV: vth, integrationWindowS: window };
        const nSat = saturationCount(profile, { ...s, mode: 'COUNT', ttfsStopFraction: 1 });
        // The fastest the model can fire: 1/t0, and the most spikes in a window at any current.
        assert.ok(1 / t0 <= 99.24e6 * (1 + 1e-9), `${bits}-bit, Vth ${vth}: ${1 / t0} Hz`);
        const most = ifcTransfer(1e12, nSat, false);
        assert.ok(
          most / window <= 99.24e6 * (1 + 1e-9),
          `${bits}-bit, Vth ${vth}: ${most} spikes in ${window} s`,
        );
        // Every count up to full scale is reachable.
        assert.ok(nSat > 2 ** bits - 1, `${bits}-bit, Vth ${vth}: saturation ${nSat}`);
      }
    }
  });

  it('a profile with an impossible timing parameter is refused naming it', () => {
    const bad = (edit: (p: Profile) => void, path: string) => {
      const p = structuredClone(profile);
      edit(p);
      assert.throws(
        () => parseProfile(p),
        (e) => isBenchError(e, 'PROFILE_INVALID') && e.message.includes(path),
        path,
      );
    };
    bad((p) => (p.ifc.readPulseS = 1.882e-9), 'ifc.readPulseS');
    bad((p) => (p.ifc.t0S = 1.5625e-10), 'ifc.t0S');
    bad((p) => (p.ifc.readPulseS = 1e-7), 'ifc.readPulseS');
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
      { meanConductanceMicroS: 0 },
    ])
      assert.throws(
        () => datasheet(profile, c),
        (e) => isBenchError(e, 'INVALID_ARGUMENT'),
      );
  });
});
