/**
 * Frame tests of the dashboard's panels with fixed data, and of its keys (ink-testing-library
 * and ink's renderToString; no terminal). Times are the job clock, in ms, chosen by the test.
 */
import assert from 'node:assert/strict';
import { render } from 'ink-testing-library';
import { Subject } from 'rxjs';
import { JobApp } from '../../src/ui/JobApp.tsx';
import { HeatCanvas } from '../../src/ui/heat-canvas.ts';
import {
  initialJobState,
  reduceJob,
  type JobState,
  type JobUpdate,
} from '../../src/ui/job-state.ts';
import { colorWanted } from '../../src/ui/palette.ts';
import { renderFrame } from '../../src/ui/render-frame.tsx';
import { sampleJob } from '../../src/ui/render-job.tsx';

const fold = (updates: JobUpdate[]): JobState => updates.reduce(reduceJob, initialJobState());
const region = { row: 0, col: 0, rows: 4, cols: 4 };
const ramp = Float32Array.from({ length: 16 }, (_, i) => 1 + (i * 39) / 15);

/** A campaign mid-way: 2 steps done, the program step running with 2 of 8 units committed. */
function midRun(): JobUpdate[] {
  return [
    {
      kind: 'job',
      title: 'rram-bench run: demo',
      steps: ['identify', 'characterize', 'program prototypes', 'infer'],
      header: {
        run: 'ebc41e06',
        campaign: 'demo',
        chip: 'RRAM-256 EMU-1',
        connection: 'emulator vlsi19-hfo2-256, seed 1, wall time',
      },
      estimatesS: [0, 3, 1, 2],
      at: 0,
    },
    { kind: 'step-start', index: 0, units: 1, at: 0 },
    { kind: 'step-done', index: 0, summary: 'model RRAM-256', ms: 2, at: 2 },
    { kind: 'step-start', index: 1, units: 1, at: 2 },
    { kind: 'step-done', index: 1, summary: 'stuckFraction 1.95%', ms: 3000, at: 3002 },
    { kind: 'step-start', index: 2, units: 8, at: 4000 },
    { kind: 'region', region },
    {
      kind: 'program',
      region: { row: 0, col: 0, rows: 2, cols: 4 },
      targetsMicroS: ramp.subarray(0, 8),
      finalMicroS: ramp.subarray(0, 8).map((v, i) => v + (i % 2 ? 0.5 : -0.5)),
    },
    { kind: 'work', index: 2, cells: 8 },
    { kind: 'unit', index: 2, done: 2, units: 8, at: 6000 },
  ];
}

describe('dashboard panels (fixed data)', () => {
  it('header: run, campaign, chip, connection, elapsed and ETA from the estimates', () => {
    const frame = renderFrame(fold(midRun()), { now: 6000 });
    assert.match(frame, /rram-bench run: demo {2}run ebc41e06 · RRAM-256 EMU-1 · emulator vlsi19/);
    // Step 3 took 2 s for 2 of 8 units: 6 s left, plus 2 s estimated for the infer step.
    assert.match(frame, /running {2}elapsed 0:06 {2}ETA ≈ 0:08/);
  });

  it('steps: numbered with durations; the running bar has units, rate (cells/s) and ETA', () => {
    const frame = renderFrame(fold(midRun()), { now: 6000 });
    assert.match(frame, /✔ 1 identify\s+2 ms {2}model RRAM-256/);
    assert.match(frame, /✔ 2 characterize\s+3 s {2}stuckFraction/);
    assert.match(frame, /▶ 3 program prototypes\s+2 s/);
    // 8 cells in 2 s of running time.
    assert.match(frame, /█{3}░{9} {2}25% {2}2\/8 {2}4 cells\/s {2}ETA 0:06/);
    assert.match(frame, /· 4 infer/);
  });

  it('paused time is not counted in a step’s duration, rate or ETA', () => {
    const s = fold([
      ...midRun(),
      { kind: 'paused', paused: true, at: 7000 },
      { kind: 'paused', paused: false, at: 60_000 },
    ]);
    // 3 s of running (4–7 s), then 53 s paused, then 1 s more.
    const frame = renderFrame(s, { now: 61_000 });
    assert.match(frame, /▶ 3 program prototypes\s+4 s/);
    assert.match(frame, /2 cells\/s {2}ETA 0:12/);
  });

  it('a wait shows its own bar and a countdown instead of a frozen step bar', () => {
    const s = fold([...midRun(), { kind: 'wait', index: 2, seconds: 90, at: 10_000 }]);
    const frame = renderFrame(s, { now: 58_000 });
    assert.match(
      frame,
      /█{12}░{12} {2}53% {2}waiting 1 min 30 s: 0:42 left|waiting 2 min: 0:42 left/,
    );
  });

  it('heat-map: shade glyphs without colour, legend in µS, a title naming the view and region', () => {
    const s = fold([...midRun(), { kind: 'map', region, microS: ramp }]);
    const measured = renderFrame(s, { now: 6000, view: 'measured' });
    assert.match(measured, /measured · rows 0–3 × cols 0–3/);
    assert.match(measured, /0 µS {2}░▒▓█ 40 µS/);
    // The ramp's low corner is light and its high corner dense.
    assert.match(measured, / {2}[ ░]+[▒▓█]*\n/);
    assert.match(measured, /█/);
    const target = renderFrame(s, { now: 6000, view: 'target' });
    assert.match(target, /target · rows 0–3/);
    // Targets are known for the first two rows only: the rest is drawn as unknown (·).
    assert.match(target, /·{4,}/);
    const error = renderFrame(s, { now: 6000, view: 'error' });
    assert.match(error, /error \(measured − target\)/);
    assert.match(error, /-2 µS {2}░▒▓█ \+2 µS/);
  });

  it('heat-map in colour: half blocks, two map rows per line', () => {
    const canvas = new HeatCanvas(region);
    canvas.setMeasured(region, ramp);
    const frame = renderFrame({ ...fold(midRun()), canvas }, { now: 6000, color: true });
    assert.match(frame, /▀/);
  });

  it('error histogram: in-tolerance share, rms and the number of cells', () => {
    const frame = renderFrame(fold(midRun()), { now: 6000 });
    // Errors are ±0.5 µS: all within ±1 µS, rms 0.5 µS; two bins hold all 8 cells.
    assert.match(frame, /100% in ±1 µS · rms 0\.5 µS/);
    assert.match(frame, /▁{6}█▁{3}█▁{5} 8 cells/);
  });

  it('metrics as they arrive, and the closed loop’s accuracies with a sparkline', () => {
    const s = fold([
      ...midRun(),
      { kind: 'metric', name: 'error_rms_micro_s', value: 0.5, unit: 'µS' },
      { kind: 'metric', name: 'accuracy.software', value: 0.98, unit: 'fraction' },
      { kind: 'metric', name: 'accuracy.naive', value: 0.71, unit: 'fraction' },
      { kind: 'metric', name: 'accuracy.final', value: 0.95, unit: 'fraction' },
      { kind: 'metric', name: 'energy_j', value: 8.17e-9, unit: 'J' },
    ]);
    const frame = renderFrame(s, { now: 6000 });
    assert.match(frame, /accuracy [▁-█]{3} software 98% → naive 71% → final 95%/);
    assert.match(frame, /error_rms_micro_s 0\.5 µS · energy_j 8\.17 nJ/);
  });

  it('link panel on a serial run only: replies, retries, bad lines, reconnects, rtt, budget', () => {
    assert.doesNotMatch(renderFrame(fold(midRun()), { now: 6000 }), /replies/);
    const s = fold([
      ...midRun(),
      {
        kind: 'link',
        counters: {
          replies: 65536,
          retries: 3,
          badLines: 1,
          reconnects: 0,
          rttMs: 1.25,
          lineBudget: 4096,
        },
      },
    ]);
    assert.match(
      renderFrame(s, { now: 6000 }),
      /link replies 65,536 · retries 3 · bad lines 1 · reconnects 0\n\s+rtt 1\.25 ms · line budget 4,096 B/,
    );
  });

  it('log: pause and resume lines; the footer shows the keys and the state', () => {
    const s = fold([
      ...midRun(),
      { kind: 'pausing' },
      { kind: 'log', text: 'pausing after the unit of work in flight' },
    ]);
    const pausing = renderFrame(s, { now: 6000, keys: { pause: true, abort: true } });
    assert.match(pausing, /pausing… {2}elapsed/);
    assert.match(pausing, /p resume · a abort · v view · \? help · q quit \(aborts\)/);
    const resumed = fold([
      ...midRun(),
      { kind: 'pausing' },
      { kind: 'paused', paused: true, at: 7000 },
      { kind: 'paused', paused: false, at: 8000 },
      { kind: 'log', text: 'resumed' },
    ]);
    const frame = renderFrame(resumed, { now: 9000, keys: { pause: true, abort: true } });
    assert.match(frame, /running {2}elapsed/);
    assert.match(frame, /resumed/);
    assert.match(frame, /p pause · a abort/);
  });

  it('fits 80×24 and uses a larger terminal for a larger map and more log', () => {
    const updates = [
      ...midRun(),
      {
        kind: 'map',
        region: { row: 0, col: 0, rows: 64, cols: 64 },
        microS: new Float32Array(4096).fill(20),
      } as JobUpdate,
      ...Array.from({ length: 30 }, (_, i): JobUpdate => ({ kind: 'log', text: `event ${i}` })),
      { kind: 'metric', name: 'mean_micro_s', value: 20, unit: 'µS' } as JobUpdate,
    ];
    const s = fold(updates);
    const small = renderFrame(s, { now: 6000, columns: 80, rows: 24 }).split('\n');
    assert.ok(small.length <= 23, `${small.length} lines at 80×24`);
    for (const l of small) assert.ok(l.length <= 80, `line wider than 80: ${l}`);
    const big = renderFrame(s, { now: 6000, columns: 160, rows: 50 }).split('\n');
    const mapWidth = (lines: string[]) =>
      Math.max(...lines.map((l) => /▒+/.exec(l)?.[0].length ?? 0));
    assert.ok(mapWidth(big) > mapWidth(small), `map ${mapWidth(big)} vs ${mapWidth(small)} wide`);
    const logLines = (lines: string[]) => lines.filter((l) => /event \d+/.test(l)).length;
    assert.ok(logLines(big) > logLines(small), `log ${logLines(big)} vs ${logLines(small)} lines`);
  });

  it('NO_COLOR turns colour off; a frame without colour has no escape sequences', () => {
    assert.equal(colorWanted({ NO_COLOR: '1' }), false);
    assert.equal(colorWanted({}), true);
    const s = fold([...midRun(), { kind: 'map', region, microS: ramp }]);
    assert.ok(!renderFrame(s, { now: 6000 }).includes('\u001b['), 'an escape sequence');
  });
});

/** Let the event loop turn until `cond` holds (at most 1,000 turns): no fixed sleep. */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000 && !cond(); i++) await new Promise((r) => setImmediate(r));
  assert.ok(cond(), `never: ${what}`);
}

describe('dashboard keys', () => {
  function app() {
    const updates = new Subject<JobUpdate>();
    const calls: string[] = [];
    const r = render(
      <JobApp
        states={sampleJob(updates, 1)}
        initial={initialJobState()}
        interactive
        color={false}
        now={() => 6000}
        onAbort={(reason) => calls.push(`abort: ${reason}`)}
        onPauseToggle={() => calls.push('toggle')}
        onPause={() => calls.push('pause')}
      />,
    );
    return { updates, calls, r };
  }

  it('v cycles the heat-map through measured, target and error; ? shows the keys', async () => {
    const { updates, r } = app();
    [...midRun(), { kind: 'map', region, microS: ramp } as JobUpdate].forEach((u) =>
      updates.next(u),
    );
    await until(() => /measured · rows/.test(r.lastFrame() ?? ''), 'measured view');
    r.stdin.write('v');
    await until(() => /target · rows/.test(r.lastFrame() ?? ''), 'target view');
    r.stdin.write('v');
    await until(() => /error \(measured − target\)/.test(r.lastFrame() ?? ''), 'error view');
    r.stdin.write('v');
    await until(() => /measured · rows/.test(r.lastFrame() ?? ''), 'back to measured');
    r.stdin.write('?');
    await until(() => /Ctrl-C once pauses, twice aborts/.test(r.lastFrame() ?? ''), 'help');
    r.stdin.write('x');
    await until(() => /measured · rows/.test(r.lastFrame() ?? ''), 'help closed');
    r.unmount();
  });

  it('a asks before aborting: y aborts, any other key goes on; p toggles pause', async () => {
    const { updates, calls, r } = app();
    midRun().forEach((u) => updates.next(u));
    await until(() => /program prototypes/.test(r.lastFrame() ?? ''), 'first frame');
    r.stdin.write('a');
    await until(() => /abort the run\? y aborts/.test(r.lastFrame() ?? ''), 'confirmation');
    r.stdin.write('n');
    await until(() => !/abort the run\?/.test(r.lastFrame() ?? ''), 'confirmation gone');
    assert.deepEqual(calls, []);
    r.stdin.write('p');
    r.stdin.write('a');
    await until(() => /abort the run\?/.test(r.lastFrame() ?? ''), 'confirmation again');
    r.stdin.write('y');
    assert.deepEqual(calls, ['toggle', 'abort: aborted from the terminal (a)']);
    r.unmount();
  });

  it('Ctrl-C once pauses, twice aborts (logged as Ctrl-C); q aborts a running job', async () => {
    const { updates, calls, r } = app();
    midRun().forEach((u) => updates.next(u));
    await until(() => /program prototypes/.test(r.lastFrame() ?? ''), 'first frame');
    r.stdin.write('\x03');
    assert.deepEqual(calls, ['pause']);
    r.stdin.write('\x03');
    assert.deepEqual(calls, ['pause', 'abort: interrupted (Ctrl-C twice)']);
    r.stdin.write('q');
    assert.deepEqual(calls.at(-1), 'abort: quit from the terminal (q)');
    updates.next({
      kind: 'finished',
      outcome: 'aborted',
      message: 'quit from the terminal (q)',
      at: 7000,
    });
    updates.complete();
    await until(() => /aborted: quit from the terminal/.test(r.lastFrame() ?? ''), 'final frame');
    r.unmount();
  });
});
