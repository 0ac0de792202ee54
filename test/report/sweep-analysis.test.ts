import assert from 'node:assert/strict';
import { analyseSweep, explainCoincidence } from '../../src/report/sweep-analysis.ts';
import type { HardwareSetting, SweepPoint } from '../../src/report/sweep-points.ts';
import { settingLabel } from '../../src/report/sweep-points.ts';

const base: HardwareSetting = { precisionBits: 8, readV: 0.1, vthV: 0.5, toleranceMicroS: 1 };
function point(
  step: string,
  change: Partial<HardwareSetting>,
  accuracy: number,
  energyJ: number,
  latencyS: number,
  clippedFraction = 0,
): SweepPoint {
  const setting = { ...base, ...change };
  return {
    stepIdx: 0,
    step,
    setting,
    settingLabel: settingLabel(setting),
    accuracy,
    samples: 64,
    energyJ,
    latencyS,
    clippedFraction,
  };
}

describe('analyseSweep', () => {
  const points = [
    point('8 bit', {}, 0.95, 1.9e-9, 11e-6),
    point('4 bit', { precisionBits: 4 }, 0.9, 0.21e-9, 1.3e-6),
    point('2 bit', { precisionBits: 2 }, 0.55, 0.13e-9, 0.84e-6),
    point('4 bit, Vref 0.05', { precisionBits: 4, readV: 0.05 }, 0.8, 0.2e-9, 1.3e-6),
    point('8 bit, Vref 0.15', { readV: 0.15 }, 0.95, 1.905e-9, 11e-6),
    point('6 bit slow', { precisionBits: 6 }, 0.9, 0.5e-9, 3e-6),
  ];
  const a = analyseSweep(points);

  it('fronts per plane and in all three objectives', () => {
    // Vref 0.05 is cheaper in energy than 4 bit but less accurate: on the energy front only.
    assert.deepEqual(a.frontEnergy, [0, 1, 2, 3]);
    // Vref 0.05: same latency as 4 bit, less accurate, dominated; Vref 0.15 ties 8 bit in this
    // plane (same accuracy and latency), so both stay.
    assert.deepEqual(a.frontLatency, [0, 1, 2, 4]);
    assert.deepEqual(a.front, [0, 1, 2, 3]);
  });

  it('finds the pair that coincides and explains it by Vref and the clipping', () => {
    assert.deepEqual(
      a.coincidences.map((c) => [c.a, c.b]),
      [[0, 4]],
    );
    const text = a.coincidences[0]!.explanation;
    assert.match(text, /\(Vref differ\)/);
    assert.match(text, /proportional tuning/);
    assert.match(text, /0\.0% and 0\.0%/);
  });

  it('names every differing setting and a plain repeat', () => {
    const p = point('a', {}, 0.9, 1e-9, 1e-6);
    assert.match(explainCoincidence(p, point('b', {}, 0.9, 1e-9, 1e-6)), /same setting: a repeat/);
    const t = explainCoincidence(p, point('c', { vthV: 0.8, toleranceMicroS: 4 }, 0.9, 1e-9, 1e-6));
    assert.match(t, /\(Vth, tolerance differ\)/);
    assert.match(t, /charge per spike/);
    assert.match(t, /write-verify tolerance/);
  });

  it('does not call settings with different cost or accuracy coinciding', () => {
    const b = analyseSweep([
      point('a', {}, 0.9, 1e-9, 1e-6),
      point('b', { readV: 0.2 }, 0.9, 1.02e-9, 1e-6),
      point('c', { readV: 0.3 }, 0.89, 1e-9, 1e-6),
    ]);
    assert.deepEqual(b.coincidences, []);
  });
});
