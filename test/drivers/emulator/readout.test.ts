import assert from 'node:assert/strict';
import { countsPerMicroSPulse, integrationWindowS } from '../../../drivers/emulator/energy.ts';
import { loadProfile } from '../../../drivers/emulator/profile.ts';
import {
  Readout,
  ifcFirstSpikeTick,
  ifcTransfer,
  saturationCount,
  type ConversionSettings,
} from '../../../drivers/emulator/readout.ts';
import { Rng } from '../../../drivers/emulator/rng.ts';

const profile = loadProfile('vlsi19-hfo2-256');
const ideal = loadProfile('ideal');

function settings(bits = 8, over: Partial<ConversionSettings> = {}): ConversionSettings {
  return {
    precisionBits: bits,
    vthV: profile.ifc.defaultVthV,
    integrationWindowS: integrationWindowS(profile, bits),
    mode: 'COUNT',
    ttfsStopFraction: 1,
    ...over,
  };
}

/** Counts of one mismatch-free column for linear charges `qs`. */
function counts(p = profile, qs: number[], s = settings()): number[] {
  const cols = qs.map((_, j) => j);
  const readout = new Readout(p, {
    gain: new Float32Array(qs.length).fill(1),
    offset: new Float32Array(qs.length),
  });
  const out = new Uint8Array(qs.length);
  readout.convert(Float32Array.from(qs), 1, cols, s, out);
  return [...out];
}

describe('IFC readout', () => {
  it('is linear for small charge: n ≈ Q/α within 2% below 2% of saturation', () => {
    const nSat = saturationCount(profile, settings());
    // t_m = 255 input slots of 2 clocks at 50 MHz = 10.2 µs; t0 = 1/99.24 MHz: ≈ 1012 counts.
    assert.ok(Math.abs(nSat - 10.2e-6 / profile.ifc.t0S) < 1e-6, `nSat ${nSat}`);
    for (const q of [1, 2, 5, 10, 20]) {
      const n = ifcTransfer(q, nSat, false);
      assert.ok(Math.abs(n - q) / q < 0.02, `q=${q} gave ${n}`);
    }
  });

  it('saturates towards t_m/t0: half of it at Q/α = t_m/t0, concave, and bounded', () => {
    const nSat = saturationCount(profile, settings());
    assert.ok(Math.abs(ifcTransfer(nSat, nSat, false) - nSat / 2) < 1e-9);
    let prevSlope = Infinity;
    for (let q = 0; q < 4000; q += 100) {
      const slope = ifcTransfer(q + 100, nSat, false) - ifcTransfer(q, nSat, false);
      assert.ok(slope > 0 && slope < prevSlope, `slope ${slope} at q=${q}`);
      prevSlope = slope;
    }
    assert.ok(ifcTransfer(1e9, nSat, false) < nSat);
  });

  it('clips at 2^b − 1 for every precision and floors to whole spikes', () => {
    for (let bits = 1; bits <= 8; bits++) {
      const top = 2 ** bits - 1;
      const [low, big] = counts(ideal, [2.7, 1e7], settings(bits));
      assert.equal(big, top, `bits=${bits}`);
      assert.equal(low, Math.min(2, top), `bits=${bits}`);
    }
    assert.deepEqual(counts(ideal, [0, -5, 0.999]), [0, 0, 0]);
  });

  it('is monotone in Vref (rising) and Vth (falling); Vref scales, Vth also lowers saturation', () => {
    const charge = 50_000; // Σ x·g in µS·pulse
    let prev = -1;
    for (
      let readV = profile.limits.readV.min;
      readV <= profile.limits.readV.max + 1e-9;
      readV += 0.025
    ) {
      const [n] = counts(profile, [charge * countsPerMicroSPulse(profile, readV, 0.5)]);
      assert.ok(n! >= prev, `Vref ${readV}: ${n} < ${prev}`);
      prev = n!;
    }
    assert.ok(prev > counts(profile, [charge * countsPerMicroSPulse(profile, 0.05, 0.5)])[0]! + 50);
    prev = Infinity;
    for (let vth = profile.limits.vthV.min; vth <= profile.limits.vthV.max + 1e-9; vth += 0.05) {
      const [n] = counts(
        profile,
        [charge * countsPerMicroSPulse(profile, 0.2, vth)],
        settings(8, { vthV: vth }),
      );
      assert.ok(n! <= prev, `Vth ${vth}: ${n} > ${prev}`);
      prev = n!;
    }
    // Proportional vs distorted: the saturation level depends on Vth only.
    const n05 = saturationCount(profile, settings(8, { vthV: 0.5 }));
    assert.ok(Math.abs(saturationCount(profile, settings(8, { vthV: 1.0 })) - n05 / 2) < 1e-9);
    // Below the default Vth the reset is limited by the maximum spike rate: no faster.
    const n025 = saturationCount(profile, settings(8, { vthV: 0.25 }));
    assert.ok(Math.abs(n025 - 10.2e-6 * 99.24e6) < 1e-6, `saturation ${n025} at Vth 0.25 V`);
  });

  it('TTFS: stronger columns fire earlier; 2^b − 1 marks no spike; the timing threshold stops the layer', () => {
    const nSat = 1024;
    const ticks = [2, 8, 50, 300].map((q) => ifcFirstSpikeTick(q, 8, nSat, false));
    for (let i = 1; i < ticks.length; i++)
      assert.ok(ticks[i]! < ticks[i - 1]!, `ticks ${ticks.join(',')}`);
    assert.equal(ifcFirstSpikeTick(0.5, 8, nSat, false), 255);
    const all = counts(profile, [2, 8, 50, 300], settings(8, { mode: 'TTFS' }));
    assert.deepEqual(all, ticks);
    const half = counts(
      profile,
      [2, 8, 50, 300],
      settings(8, { mode: 'TTFS', ttfsStopFraction: 0.5 }),
    );
    assert.deepEqual(half, [255, 255, ticks[2], ticks[3]]);
  });

  it('draws per-column gain and offset with the profile spread (±25%)', () => {
    const r = new Readout(profile, new Rng(7));
    const sd = (a: Float32Array, mean: number) =>
      Math.sqrt(a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length);
    assert.ok(
      Math.abs(sd(r.gain, 1) / profile.ifc.gainSigma - 1) < 0.25,
      `gain σ ${sd(r.gain, 1)}`,
    );
    assert.ok(
      Math.abs(sd(r.offset, 0) / profile.ifc.offsetSigma - 1) < 0.25,
      `offset σ ${sd(r.offset, 0)}`,
    );
    const flat = new Readout(ideal, new Rng(7));
    assert.ok(flat.gain.every((g) => g === 1) && flat.offset.every((o) => o === 0));
  });
});
