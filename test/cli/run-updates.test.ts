/** A run's records → terminal-UI updates, and the state the UI folds them into. */
import assert from 'node:assert/strict';
import type { RunRecord } from '../../src/campaign/run-record.ts';
import { RunUpdates } from '../../src/cli/run-updates.ts';
import { initialJobState, reduceJob, type JobUpdate } from '../../src/ui/job-state.ts';

const outline = (name: string, idx: number, units: number, completed = false) => ({
  idx,
  name,
  kind: name,
  units,
  checkpoint: completed ? units : 0,
  completed,
});

const start = (resumed = false): RunRecord => ({
  type: 'start',
  runUuid: '0123456789abcdef-0000',
  campaign: 'demo',
  resumed,
  replay: resumed,
  steps: [outline('identify', 0, 1, resumed), outline('program', 1, 4), outline('infer', 2, 8)],
});

function updatesOf(records: RunRecord[]): JobUpdate[] {
  // The job clock stands still at 1,000 ms: the updates' times are fixed.
  const m = new RunUpdates('vlsi19-hfo2-256 EMU-00000001 (emulated)', { now: () => 1000 });
  return records.flatMap((r) => m.updates(r));
}

describe('run records → terminal UI updates', () => {
  it('announces the job with the plan’s steps, then step starts, progress and summaries', () => {
    const u = updatesOf([
      start(),
      { type: 'state', state: 'running' },
      {
        type: 'step-start',
        idx: 0,
        name: 'identify',
        kind: 'identify',
        units: 1,
        from: 0,
        state: {},
      },
      { type: 'checkpoint', idx: 0, unit: 0, units: 1 },
      {
        type: 'step-end',
        idx: 0,
        name: 'identify',
        status: 'completed',
        summary: { model: 'vlsi19-hfo2-256', rows: 256, cols: 256, firmware: '0.1.0', extra: 1 },
        ms: 2,
      },
      {
        type: 'step-start',
        idx: 1,
        name: 'program',
        kind: 'program',
        units: 4,
        from: 0,
        state: {},
      },
      { type: 'progress', idx: 1, done: 1, total: 4, detail: 'rows 0–7' },
    ]);
    assert.deepEqual(u, [
      {
        kind: 'job',
        title: 'rram-bench run: demo',
        subtitle: 'run 01234567 · vlsi19-hfo2-256 EMU-00000001 (emulated)',
        steps: ['identify', 'program', 'infer'],
        header: { run: '01234567', campaign: 'demo' },
        at: 1000,
      },
      { kind: 'step-start', index: 0, units: 1, from: 0, at: 1000 },
      { kind: 'unit', index: 0, done: 1, units: 1, at: 1000 },
      {
        kind: 'step-done',
        index: 0,
        summary: 'model vlsi19-hfo2-256, rows 256, cols 256',
        ms: 2,
        at: 1000,
      },
      { kind: 'step-start', index: 1, units: 4, from: 0, at: 1000 },
      { kind: 'progress', index: 1, done: 1, total: 4, detail: 'rows 0–7' },
    ]);
  });

  it('shows pause and resume once each, errors as log lines, and the stop record as the outcome', () => {
    const records: RunRecord[] = [
      start(),
      { type: 'state', state: 'running' },
      { type: 'state', state: 'pausing' },
      { type: 'state', state: 'paused' },
      { type: 'state', state: 'running' },
      {
        type: 'step-start',
        idx: 1,
        name: 'program',
        kind: 'program',
        units: 4,
        from: 0,
        state: {},
      },
      { type: 'event', kind: 'error', message: 'the board answered ERR 7', code: 'DEVICE' },
      {
        type: 'step-end',
        idx: 1,
        name: 'program',
        status: 'failed',
        summary: { error: 'the board answered ERR 7' },
        ms: 5,
      },
      { type: 'stop', status: 'failed', reason: 'the board answered ERR 7', code: 'DEVICE' },
    ];
    const u = updatesOf(records);
    assert.deepEqual(
      u.filter((x) => x.kind === 'paused'),
      [
        { kind: 'paused', paused: true, at: 1000 },
        { kind: 'paused', paused: false, at: 1000 },
      ],
    );
    assert.deepEqual(u.at(-1), {
      kind: 'finished',
      outcome: 'failed',
      message: 'the board answered ERR 7 [DEVICE]',
      at: 1000,
    });
    // Resumed is said, and the pausing line does not outlive the pause.
    assert.deepEqual(
      u
        .filter((x) => x.kind === 'log' && /paus|resum/.test(x.text))
        .map((x) => x.kind === 'log' && x.text),
      ['pausing after the unit of work in flight', 'paused', 'resumed'],
    );
    const state = u.reduce(reduceJob, initialJobState());
    assert.equal(state.outcome, 'failed');
    assert.equal(state.paused, false);
    assert.equal(state.pausing, false);
    assert.equal(state.steps[1]!.status, 'failed');
    assert.deepEqual(
      state.log.filter((l) => l.level === 'error').map((l) => l.text),
      ['error [DEVICE]: the board answered ERR 7', 'program: failed: the board answered ERR 7'],
    );
  });

  it('a paused run shows paused; an abort ends aborted', () => {
    const u = updatesOf([
      start(),
      { type: 'state', state: 'running' },
      { type: 'state', state: 'pausing' },
      { type: 'state', state: 'paused' },
      { type: 'state', state: 'aborting' },
      {
        type: 'event',
        kind: 'interrupted',
        message: 'aborted from the terminal (q)',
        code: 'ABORTED',
      },
      { type: 'state', state: 'idle' },
      { type: 'stop', status: 'aborted', reason: 'aborted from the terminal (q)', code: 'ABORTED' },
    ]);
    const paused = u
      .slice(0, u.findIndex((x) => x.kind === 'paused') + 1)
      .reduce(reduceJob, initialJobState());
    assert.equal(paused.paused, true);
    const end = u.reduce(reduceJob, initialJobState());
    assert.equal(end.outcome, 'aborted');
    assert.match(end.message ?? '', /aborted from the terminal \(q\) \[ABORTED\]/);
    assert.ok(
      end.log.some((l) => l.level === 'warn' && /aborting: leaving the chip idle/.test(l.text)),
    );
  });

  it('a resumed run shows the steps done earlier and where the interrupted one continues', () => {
    const u = updatesOf([
      start(true),
      {
        type: 'step-start',
        idx: 1,
        name: 'program',
        kind: 'program',
        units: 4,
        from: 2,
        state: {},
      },
    ]);
    const s = u.reduce(reduceJob, initialJobState());
    assert.equal(s.steps[0]!.status, 'done');
    assert.deepEqual(
      [s.steps[1]!.status, s.steps[1]!.unitsDone, s.steps[1]!.units, s.steps[1]!.unitsFrom],
      ['running', 2, 4, 2],
    );
    assert.ok(s.log.some((l) => /resumed: 1 step done, replaying/.test(l.text)));
    assert.ok(s.log.some((l) => /program: continuing at unit 3 of 4/.test(l.text)));
  });
});
