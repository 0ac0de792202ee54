/**
 * Write-verify on the default emulated profile: the issue-4 must-shows. The chip runs on a
 * ManualClock frozen during programming, so "right after programming" is exact and an emulated
 * hour is one `advance`. Accuracy is judged on the TRUE conductance from the emulator's cells.
 */
import assert from 'node:assert/strict';
import { lastValueFrom, map, take, tap, toArray, type Observable } from 'rxjs';
import type { ChipDriver, Region } from '../../drivers/driver.ts';
import { isBenchError } from '../../drivers/driver.ts';
import { ManualClock } from '../../drivers/emulator/clock.ts';
import { EmulatorDriver } from '../../drivers/emulator/emulator-driver.ts';
import { RelaxationTable } from '../../drivers/emulator/relaxation.ts';
import { Rng } from '../../drivers/emulator/rng.ts';
import type { ProgramRegionEvent, ProgramReport } from '../../src/pipeline/program-event.ts';
import { programRegion, type ProgramRegionOptions } from '../../src/pipeline/program.ts';
import { clockWait } from '../../src/pipeline/wait.ts';
import { CellStatus } from '../../src/programming/cell-status.ts';

const FULL: Region = { row: 0, col: 0, rows: 256, cols: 256 };
const T0 = 1000;
const HOUR = 3600;

function randomTargets(n: number, seed: number): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => 1 + 39 * r.uniform());
}

async function chip(): Promise<{ d: EmulatorDriver; clock: ManualClock }> {
  const clock = new ManualClock(T0);
  return { d: await EmulatorDriver.create({ clock }), clock };
}

async function report(events: Observable<ProgramRegionEvent>): Promise<ProgramReport> {
  const last = await lastValueFrom(events);
  assert.equal(last.kind, 'report');
  return last.report;
}

/** Truth over the non-stuck cells of a full-array run: fraction within `tol` of target at time t. */
function truthWithin(d: EmulatorDriver, targets: Float32Array, t: number, tol: number): number {
  const cells = d.macro.cells;
  let ok = 0;
  let n = 0;
  for (let i = 0; i < targets.length; i++) {
    if (cells.stuck(i) !== 0) continue;
    n++;
    if (Math.abs(cells.conductanceAt(i, t) - targets[i]!) <= tol) ok++;
  }
  return ok / n;
}

const figures: Record<string, unknown> = {};

/**
 * The figures docs/pipeline.md and the README quote for this run (seeded, so reproducible). The
 * emulator's physics sets them: when it changes, re-run this file and update them here and in the
 * docs together. Each is asserted to within Z binomial standard errors over the cells it counts.
 */
const QUOTED = {
  /** Non-stuck cells truly within ±1 µS after write-verify, board path (99.95%). */
  boardWithin1: 0.9995,
  /** The same, host path (99.89%). */
  hostWithin1: 0.9989,
  /** Cells within ±2 µS an emulated hour later, no re-check (50.3%). */
  within2After1h: 0.503,
  /** The same with 3 re-check rounds 60 s apart (93.4%). */
  within2After1hRecheck: 0.934,
};
/** Standard errors allowed. */
const Z = 4;
/**
 * Z binomial standard errors of a fraction near `p` over `n` cells, plus the rounding of the
 * quoted figure (half a unit of its last digit, `quantum`).
 */
const bound = (p: number, n: number, quantum: number) =>
  Z * Math.sqrt(Math.max(p * (1 - p), 1 / n) / n) + quantum / 2;

/** Standard normal CDF (Abramowitz & Stegun 7.1.26; |error| < 1.5e-7). */
function phi(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const poly =
    t *
    (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/** Non-stuck cells of a full-array run. */
function nonStuck(d: EmulatorDriver): number {
  let n = 0;
  for (let i = 0; i < FULL.rows * FULL.cols; i++) if (d.macro.cells.stuck(i) === 0) n++;
  return n;
}

describe('programRegion on the default emulated profile', function () {
  this.timeout(60_000);
  after(() => console.log('      figures:', JSON.stringify(figures)));

  for (const mode of ['board', 'host'] as const) {
    it(`${mode} path: all 65,536 cells to [1, 40] µS: ≥ 99.5% of non-stuck cells truly within ±1 µS, ≤ 10 pulses/cell`, async () => {
      const { d, clock } = await chip();
      const targets = randomTargets(FULL.rows * FULL.cols, 11);
      const t = performance.now();
      const r = await report(programRegion(d, { region: FULL, targetsMicroS: targets, mode }));
      const seconds = (performance.now() - t) / 1000;
      const truth = truthWithin(d, targets, clock.now(), 1);
      const trueStuck = Array.from({ length: targets.length }, (_, i) =>
        d.macro.cells.stuck(i),
      ).filter((s) => s !== 0).length;
      figures[mode] = {
        seconds: +seconds.toFixed(2),
        truthInTolerance: +truth.toFixed(5),
        verifyInTolerance: +r.inTolerance.toFixed(5),
        verifyInToleranceNonStuck: +r.inToleranceNonStuck.toFixed(5),
        meanPulses: +r.meanPulses.toFixed(3),
        stuckReported: r.stuck,
        trueStuck,
        failed: r.failed,
      };
      assert.ok(truth >= 0.995, `true in-tolerance ${truth}`);
      const quoted = mode === 'board' ? QUOTED.boardWithin1 : QUOTED.hostWithin1;
      const tol = bound(quoted, nonStuck(d), 1e-4);
      assert.ok(
        Math.abs(truth - quoted) <= tol,
        `${mode}: true in-tolerance ${truth} vs the quoted ${quoted} (±${tol.toFixed(5)})`,
      );
      assert.ok(r.inToleranceNonStuck >= 0.995, `verify in-tolerance ${r.inToleranceNonStuck}`);
      assert.ok(r.meanPulses <= 10, `mean pulses ${r.meanPulses}`);
      assert.equal(
        r.pulseHistogram.reduce((a, b) => a + b, 0),
        targets.length,
      );
      // Stuck cells are reported, and never cost more than the stuck budget.
      assert.ok(
        r.stuck >= 0.9 * trueStuck && r.stuck <= trueStuck,
        `${r.stuck} of ${trueStuck} stuck reported`,
      );
      for (const c of r.stuckCells) assert.notEqual(d.macro.cells.stuck(c.row * 256 + c.col), 0);
      for (const c of r.stuckCells) assert.ok(r.pulses[c.row * 256 + c.col]! <= 6);
      await d.close();
    });
  }

  it('after one emulated hour the error matches the profile σ(G, t) per band, and the re-check raises ±2 µS', async () => {
    const targets = randomTargets(FULL.rows * FULL.cols, 12);
    const table = new RelaxationTable((await chip()).d.macro.profile.relaxation, 40);
    // Without re-check.
    const a = await chip();
    const ra = await report(programRegion(a.d, { region: FULL, targetsMicroS: targets }));
    const g0 = new Float32Array(targets.length);
    a.d.macro.cells.conductanceMap(a.clock.now(), g0);
    a.clock.advance(HOUR);
    const g1 = new Float32Array(targets.length);
    a.d.macro.cells.conductanceMap(a.clock.now(), g1);
    const bands = [
      [1, 10],
      [10, 20],
      [20, 30],
      [30, 40.5],
    ] as const;
    const perBand: Record<string, Record<string, number>> = {};
    for (const [lo, hi] of bands) {
      let e2 = 0;
      let s2 = 0;
      let z2 = 0;
      let sum = 0;
      let n = 0;
      let within1 = 0;
      for (let i = 0; i < targets.length; i++) {
        // Relaxation follows a write: cells already on target after forming (0 pulses) were not written.
        if (a.d.macro.cells.stuck(i) !== 0 || ra.pulses[i] === 0 || g0[i]! < lo || g0[i]! >= hi)
          continue;
        const e = g1[i]! - g0[i]!;
        const s = table.sigmaAt(g0[i]!, HOUR);
        e2 += e * e;
        s2 += s * s;
        z2 += (e / s) ** 2;
        if (Math.abs(e) <= s) within1++;
        sum += e;
        n++;
      }
      const measured = Math.sqrt(e2 / n);
      const profile = Math.sqrt(s2 / n);
      perBand[`${lo}-${hi}`] = {
        measured: +measured.toFixed(3),
        profile: +profile.toFixed(3),
        zSigma: +Math.sqrt(z2 / n).toFixed(3),
        mean: +(sum / n).toFixed(3),
        within1Sigma: +(within1 / n).toFixed(3),
      };
      assert.ok(
        Math.abs(measured / profile - 1) < 0.05,
        `band ${lo}-${hi}: σ ${measured} vs profile ${profile}`,
      );
      // Gaussian in shape too: 68.3% within one σ (per cell), to within 2 points.
      assert.ok(Math.abs(within1 / n - 0.683) < 0.02, `band ${lo}-${hi}: ${within1 / n} within 1σ`);
      assert.ok(Math.abs(sum / n) < 0.05 * profile, `band ${lo}-${hi}: mean drift ${sum / n}`);
    }
    const without = truthWithin(a.d, targets, a.clock.now(), 2);
    // What the profile's table predicts if each cell's error right after programming gets a
    // N(0, σ(G, 1 h)) drift: within ±2 µS with probability Φ((2 − e)/σ) − Φ((−2 − e)/σ).
    let expected = 0;
    let counted = 0;
    for (let i = 0; i < targets.length; i++) {
      if (a.d.macro.cells.stuck(i) !== 0) continue;
      counted++;
      const e = g0[i]! - targets[i]!;
      // Cells not written (0 pulses) do not relax.
      if (ra.pulses[i] === 0) {
        if (Math.abs(e) <= 2) expected++;
        continue;
      }
      const s = table.sigmaAt(g0[i]!, HOUR);
      expected += phi((2 - e) / s) - phi((-2 - e) / s);
    }
    expected /= counted;
    await a.d.close();
    // With the re-check: 3 rounds, 60 s apart, then the rest of the hour.
    const b = await chip();
    const rounds: unknown[] = [];
    const rb = await report(
      programRegion(b.d, {
        region: FULL,
        targetsMicroS: targets,
        recheck: { settleS: 60, rounds: 3 },
        wait: clockWait(b.clock),
      }).pipe(
        tap((e) => {
          if (e.kind === 'recheck')
            rounds.push({
              round: e.round,
              drifted: e.drifted,
              inToleranceBefore: +e.inToleranceBefore.toFixed(4),
            });
        }),
      ),
    );
    b.clock.set(T0 + HOUR);
    const withRecheck = truthWithin(b.d, targets, b.clock.now(), 2);
    await b.d.close();
    figures.relaxation = {
      perBand,
      within2MicroSAfter1h: { without: +without.toFixed(4), withRecheck: +withRecheck.toFixed(4) },
      rounds,
      meanPulsesWithRecheck: +rb.meanPulsesTotal.toFixed(3),
    };
    assert.ok(withRecheck > without + 0.1, `re-check: ${withRecheck} vs ${without}`);
    const n = targets.length;
    // Recorded, not asserted: the Gaussian prediction from the table's σ reads 1.5 points above
    // the emulator's 53.75% (0.552), more than sampling explains; see docs/pipeline.md.
    figures.relaxation = {
      ...(figures.relaxation as object),
      expectedWithoutFromProfile: +expected.toFixed(4),
    };
    const tolQuoted = bound(QUOTED.within2After1h, n, 1e-3);
    assert.ok(
      Math.abs(without - QUOTED.within2After1h) <= tolQuoted,
      `±2 µS after 1 h: ${without} vs the quoted ${QUOTED.within2After1h} (±${tolQuoted})`,
    );
    const tolRecheck = bound(QUOTED.within2After1hRecheck, n, 1e-3);
    assert.ok(
      Math.abs(withRecheck - QUOTED.within2After1hRecheck) <= tolRecheck,
      `with re-check: ${withRecheck} vs the quoted ${QUOTED.within2After1hRecheck} (±${tolRecheck})`,
    );
    assert.equal(rb.recheck.length, 3);
  });

  it('reports stuck cells without retrying them forever on a board that pulses them anyway', async () => {
    const { d } = await chip();
    // A real board applies pulses to stuck cells; only their stillness gives them away.
    const board: ChipDriver = Object.assign(Object.create(d) as EmulatorDriver, {
      pulse: (req: Parameters<ChipDriver['pulse']>[0]) =>
        d.pulse(req).pipe(map((r) => ({ ...r, applied: req.count ?? 1 }))),
    });
    const region: Region = { row: 0, col: 0, rows: 64, cols: 256 };
    const targets = randomTargets(region.rows * region.cols, 13);
    const r = await report(programRegion(board, { region, targetsMicroS: targets, mode: 'host' }));
    const stuckTargetsFar = [];
    for (let i = 0; i < targets.length; i++)
      if (
        d.macro.cells.stuck(i) !== 0 &&
        Math.abs(d.macro.cells.conductanceAt(i, 0) - targets[i]!) > 1.5
      )
        stuckTargetsFar.push(i);
    for (const i of stuckTargetsFar) {
      assert.equal(r.status[i], CellStatus.Stuck, `cell ${i}`);
      assert.ok(r.pulses[i]! <= 10, `cell ${i} took ${r.pulses[i]} pulses`);
    }
    assert.ok(stuckTargetsFar.length > 50);
    figures.stuckByStillness = {
      stuck: r.stuck,
      farFromTarget: stuckTargetsFar.length,
      falseStuck: r.stuckCells.filter((c) => d.macro.cells.stuck(c.row * 256 + c.col) === 0).length,
    };
    assert.ok(
      r.stuckCells.filter((c) => d.macro.cells.stuck(c.row * 256 + c.col) === 0).length <= 2,
    );
    await d.close();
  });

  it('unsubscribing stops after the request in flight and leaves the chip idle', async () => {
    const { d } = await chip();
    const targets = randomTargets(FULL.rows * FULL.cols, 14);
    let idles = 0;
    const spy: ChipDriver = Object.assign(Object.create(d) as EmulatorDriver, {
      idle: () => (idles++, d.idle()),
    });
    // take(2) unsubscribes upstream after the second progress event.
    const first = await lastValueFrom(
      programRegion(spy, { region: FULL, targetsMicroS: targets, mode: 'host' }).pipe(
        take(2),
        toArray(),
      ),
    );
    assert.equal(first.length, 2);
    const version = d.macro.cells.version;
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(d.macro.cells.version, version, 'no pulse after the unsubscribe');
    assert.ok(idles >= 1);
    assert.ok(d.isIdle);
    await d.close();
  });

  it('refuses targets outside the window (LIMIT) and bad options (INVALID_ARGUMENT) before touching the chip', async () => {
    const { d } = await chip();
    const region: Region = { row: 0, col: 0, rows: 1, cols: 2 };
    const run = (o: Partial<ProgramRegionOptions>) =>
      lastValueFrom(programRegion(d, { region, targetsMicroS: Float32Array.from([5, 50]), ...o }));
    await assert.rejects(run({}), (e) => isBenchError(e, 'LIMIT'));
    await assert.rejects(run({ targetsMicroS: Float32Array.from([5, NaN]) }), (e) =>
      isBenchError(e, 'INVALID_ARGUMENT'),
    );
    await assert.rejects(run({ targetsMicroS: Float32Array.from([5]) }), (e) =>
      isBenchError(e, 'INVALID_ARGUMENT'),
    );
    await assert.rejects(run({ targetsMicroS: Float32Array.from([5, 6]), verifyAverage: 0 }), (e) =>
      isBenchError(e, 'INVALID_ARGUMENT'),
    );
    await assert.rejects(
      run({ targetsMicroS: Float32Array.from([5, 6]), set: { stopV: 9 } }),
      (e) => isBenchError(e, 'INVALID_ARGUMENT'),
    );
    assert.equal(d.macro.cells.version, 0);
    await d.close();
  });
});
