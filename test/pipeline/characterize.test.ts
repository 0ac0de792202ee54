/**
 * Characterisation of the default emulated chip against the profile's true parameters (issue 4
 * must-show: within 15%), and the NoiseModel's serialisation.
 */
import assert from 'node:assert/strict';
import { lastValueFrom, toArray } from 'rxjs';
import { isBenchError } from '../../drivers/driver.ts';
import { ManualClock } from '../../drivers/emulator/clock.ts';
import { EmulatorDriver } from '../../drivers/emulator/emulator-driver.ts';
import { RelaxationTable } from '../../drivers/emulator/relaxation.ts';
import { characterize, type CharacterizeEvent } from '../../src/pipeline/characterize.ts';
import { NoiseModel } from '../../src/pipeline/noise-model.ts';
import { clockWait } from '../../src/pipeline/wait.ts';

const within = (measured: number, truth: number, rel = 0.15) =>
  Math.abs(measured / truth - 1) <= rel;
const sd = (a: ArrayLike<number>) => {
  const v = Array.from(a);
  const m = v.reduce((x, y) => x + y, 0) / v.length;
  return Math.sqrt(v.reduce((x, y) => x + (y - m) ** 2, 0) / (v.length - 1));
};

describe('characterize → NoiseModel on the default emulated profile', function () {
  this.timeout(60_000);
  let model: NoiseModel;
  let events: CharacterizeEvent[];
  let d: EmulatorDriver;
  const figures: Record<string, unknown> = {};

  before(async () => {
    const clock = new ManualClock(1000);
    d = await EmulatorDriver.create({ clock });
    events = await lastValueFrom(characterize(d, { wait: clockWait(clock) }).pipe(toArray()));
    const last = events.at(-1);
    assert.equal(last?.kind, 'model');
    model = last.model;
  });
  after(async () => {
    console.log('      figures:', JSON.stringify(figures));
    await d.close();
  });

  it('runs the steps in order and leaves the chip idle', () => {
    const steps = events.map((e) => (e.kind === 'step' ? e.step : e.kind));
    assert.deepEqual(steps, [
      'program',
      'relaxation',
      'relaxation',
      'relaxation',
      'read-noise',
      'columns',
      'stuck',
      'model',
    ]);
    assert.ok(d.isIdle);
  });

  it('read noise σ/G within 15% of the profile', () => {
    const truth = d.macro.profile.readNoise.relative;
    figures.readNoise = { measured: model.data.readNoise.relative, profile: truth };
    assert.ok(
      within(model.data.readNoise.relative, truth),
      `${model.data.readNoise.relative} vs ${truth}`,
    );
  });

  it('relaxation σ per band and time within 15% of the profile table', () => {
    const p = d.macro.profile;
    const table = new RelaxationTable(p.relaxation, p.conductance.gMaxMicroS);
    const r = model.data.relaxation;
    const report = events.find((e) => e.kind === 'step' && e.step === 'program');
    assert.ok(report?.kind === 'step' && report.step === 'program');
    const rows: unknown[] = [];
    r.timesS.forEach((t, ti) => {
      // Truth per band: RMS of the table's σ over the band's cells at their programmed value.
      const width = (p.conductance.gMaxMicroS - p.conductance.gMinMicroS) / 8;
      const acc = r.gMicroS.map(() => ({ s2: 0, n: 0 }));
      const final = report.report.finalMicroS;
      for (let k = 0; k < final.length; k++) {
        if (d.macro.cells.stuck(k) !== 0 || report.report.pulses[k] === 0) continue;
        const g = final[k]!;
        const b = Math.min(7, Math.floor((g - p.conductance.gMinMicroS) / width));
        const centre = p.conductance.gMinMicroS + (b + 0.5) * width;
        const j = r.gMicroS.findIndex((c) => Math.abs(c - centre) < width / 2);
        if (j < 0) continue;
        acc[j]!.s2 += table.sigmaAt(g, t) ** 2;
        acc[j]!.n++;
      }
      r.gMicroS.forEach((g, j) => {
        const truth = Math.sqrt(acc[j]!.s2 / acc[j]!.n);
        const measured = r.sigmaMicroS[ti]![j]!;
        rows.push({
          t,
          g: +g.toFixed(1),
          measured: +measured.toFixed(3),
          profile: +truth.toFixed(3),
        });
        assert.ok(
          within(measured, truth),
          `t ${t} s, G ${g.toFixed(1)} µS: σ ${measured} vs ${truth}`,
        );
      });
    });
    figures.relaxation = rows;
    // Interpolation agrees with the bands it was built from.
    assert.ok(
      Math.abs(model.relaxationSigma(r.gMicroS[3]!, r.timesS[2]!) - r.sigmaMicroS[2]![3]!) < 1e-9,
    );
  });

  it('stuck fraction and low share within 15% of the profile; every reported cell truly stuck', () => {
    const s = model.data.stuck;
    const p = d.macro.profile.stuck;
    let falsePositives = 0;
    for (const c of s.cells) if (d.macro.cells.stuck(c.row * 256 + c.col) === 0) falsePositives++;
    figures.stuck = {
      fraction: s.fraction,
      profile: p.fraction,
      lowShare: s.lowShare,
      falsePositives,
    };
    assert.ok(within(s.fraction, p.fraction), `${s.fraction} vs ${p.fraction}`);
    assert.ok(within(s.lowShare, p.lowShare), `${s.lowShare} vs ${p.lowShare}`);
    assert.equal(falsePositives, 0);
    const c = s.cells[0]!;
    assert.equal(model.stuckAt(c.row, c.col), c.level);
  });

  it('column gain and offset spread within 15% of the profile (and of the chip’s own draw)', () => {
    const c = model.data.columns;
    assert.ok(c);
    const p = d.macro.profile.ifc;
    const drawnGain = sd(d.macro.readout.gain);
    const drawnOffset = sd(d.macro.readout.offset);
    figures.columns = {
      gainSpread: c.gainSpread,
      offsetSpread: c.offsetSpread,
      profile: [p.gainSigma, p.offsetSigma],
      drawn: [drawnGain, drawnOffset],
    };
    assert.ok(within(c.gainSpread, p.gainSigma), `gain ${c.gainSpread} vs ${p.gainSigma}`);
    assert.ok(
      within(c.offsetSpread, p.offsetSigma),
      `offset ${c.offsetSpread} vs ${p.offsetSigma}`,
    );
    assert.ok(within(c.gainSpread, drawnGain, 0.1) && within(c.offsetSpread, drawnOffset, 0.1));
  });

  it('serialises: toJSON → JSON text → fromJSON gives the same model', () => {
    const text = JSON.stringify(model);
    const back = NoiseModel.fromJSON(JSON.parse(text));
    assert.deepEqual(back.toJSON(), model.toJSON());
    assert.equal(back.relaxationSigma(20, 100), model.relaxationSigma(20, 100));
  });

  it('fromJSON refuses malformed models naming the field', () => {
    const good = model.toJSON();
    const bad = (mutate: (j: Record<string, unknown>) => void, field: RegExp) => {
      const j = structuredClone(good) as unknown as Record<string, unknown>;
      mutate(j);
      assert.throws(
        () => NoiseModel.fromJSON(j),
        (e) => isBenchError(e, 'INVALID_ARGUMENT') && field.test(e.message),
      );
    };
    bad((j) => (j.format = 'other'), /format/);
    bad((j) => ((j.readNoise as Record<string, unknown>).relative = -1), /readNoise\.relative/);
    bad((j) => (j.relaxation as { sigmaMicroS: number[][] }).sigmaMicroS.pop(), /relaxation/);
    bad((j) => (j.relaxation as { timesS: number[] }).timesS.reverse(), /relaxation/);
    bad((j) => (j.extra = 1), /extra|root|Unrecognized/i);
    assert.throws(
      () => NoiseModel.fromJSON(null),
      (e) => isBenchError(e, 'INVALID_ARGUMENT'),
    );
  });
});
