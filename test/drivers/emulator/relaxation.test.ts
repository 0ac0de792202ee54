import assert from 'node:assert/strict';
import { loadProfile } from '../../../drivers/emulator/profile.ts';
import type { Profile } from '../../../drivers/emulator/profile.ts';
import { EARLY_FACTOR, RelaxationTable } from '../../../drivers/emulator/relaxation.ts';

const near = (actual: number, expected: number, eps = 1e-9) =>
  assert.ok(Math.abs(actual - expected) <= eps, `${actual} is not ${expected} ± ${eps}`);

describe('RelaxationTable', () => {
  const profile = loadProfile('vlsi19-hfo2-256');
  const gMax = profile.conductance.gMaxMicroS;
  const table = new RelaxationTable(profile.relaxation, gMax);
  const [day1s, day1d] = profile.relaxation.sigmaMicroS as [number[], number[]];

  it('returns the table values at the table points', () => {
    profile.relaxation.gOverGmax.forEach((r, j) => {
      near(table.sigmaAt(r * gMax, 1), day1s[j]!);
      near(table.sigmaAt(r * gMax, 86400), day1d[j]!);
    });
  });

  it('interpolates linearly in G between points and clamps outside them', () => {
    // Halfway between G/gMax = 0.25 and 0.5 one second after programming.
    near(table.sigmaAt(0.375 * gMax, 1), (day1s[1]! + day1s[2]!) / 2);
    near(table.sigmaAt(0.1 * gMax, 1), day1s[0]! + (0.1 / 0.25) * (day1s[1]! - day1s[0]!));
    near(table.sigmaAt(1.5 * gMax, 1), day1s[3]!);
    near(table.sigmaAt(-1, 86400), day1d[0]!);
  });

  it('interpolates linearly in log10(t) between times and clamps after the last', () => {
    const t = 3600;
    const w = Math.log10(t) / Math.log10(86400);
    near(table.sigmaAt(0.5 * gMax, t), day1s[2]! + w * (day1d[2]! - day1s[2]!));
    near(table.sigmaAt(0.5 * gMax, 1e7), day1d[2]!);
  });

  it('fades to 0 before the first time, linearly in log10(t)', () => {
    const t0 = profile.relaxation.timesS[0]!;
    near(table.sigmaAt(0.25 * gMax, EARLY_FACTOR * t0), 0);
    near(table.sigmaAt(0.25 * gMax, 1e-6), 0);
    near(table.sigmaAt(0.25 * gMax, 0), 0);
    near(table.sigmaAt(0.25 * gMax, -5), 0);
    // Halfway in log between 1e-3·t0 and t0.
    near(table.sigmaAt(0.25 * gMax, t0 * Math.sqrt(EARLY_FACTOR)), day1s[1]! / 2);
  });

  it('handles more time rows and reports an all-zero table', () => {
    const relaxation: Profile['relaxation'] = {
      ...profile.relaxation,
      timesS: [1, 100, 10000],
      gOverGmax: [0, 1],
      sigmaMicroS: [
        [1, 2],
        [3, 4],
        [5, 8],
      ],
    };
    const t3 = new RelaxationTable(relaxation, 10);
    near(t3.sigmaAt(0, 10), 2);
    near(t3.sigmaAt(10, 1000), 6);
    near(t3.sigmaAt(5, 100), 3.5);
    assert.equal(t3.isZero, false);
    assert.equal(new RelaxationTable(loadProfile('ideal').relaxation, 40).isZero, true);
  });
});
