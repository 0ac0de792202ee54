import assert from 'node:assert/strict';
import { render } from 'ink-testing-library';
import { Subject, from, range, map, concat, of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { JobApp } from '../../src/ui/JobApp.tsx';
import { JobView } from '../../src/ui/JobView.tsx';
import {
  initialJobState,
  reduceJob,
  MAX_LOG,
  type JobState,
  type JobUpdate,
} from '../../src/ui/job-state.ts';
import { sampleJob } from '../../src/ui/render-job.tsx';

/** Let the event loop turn until `cond` holds (at most 1,000 turns): no fixed sleep. */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !cond(); i++) await new Promise((r) => setImmediate(r));
  assert.ok(cond(), 'condition never held');
}

const fold = (updates: JobUpdate[]): JobState => updates.reduce(reduceJob, initialJobState());
const start: JobUpdate[] = [
  {
    kind: 'job',
    title: 'campaign demo',
    subtitle: 'emulated',
    steps: ['identify', 'program', 'infer'],
  },
  { kind: 'step-start', index: 0 },
];

describe('terminal UI', () => {
  it('folds updates into step statuses, progress, a bounded log and the outcome', () => {
    const s = fold([
      ...start,
      { kind: 'step-done', index: 0, summary: 'EMU-1', ms: 3 },
      { kind: 'progress', index: 1, done: 40, total: 256, detail: 'row 40' },
      ...Array.from({ length: 20 }, (_, i): JobUpdate => ({ kind: 'log', text: `line ${i}` })),
      { kind: 'finished', outcome: 'aborted', message: 'q pressed' },
    ]);
    assert.deepEqual(
      s.steps.map((x) => x.status),
      ['done', 'failed', 'pending'],
    );
    assert.equal(s.steps[1]!.done, 40);
    assert.equal(s.log.length, MAX_LOG);
    assert.equal(s.log.at(-1)!.text, 'line 19');
    assert.equal(s.outcome, 'aborted');
  });

  it('draws steps, the running step’s progress bar and the key hints', () => {
    const s = fold([
      ...start,
      { kind: 'step-done', index: 0, summary: 'EMU-1', ms: 3 },
      { kind: 'progress', index: 1, done: 128, total: 256 },
    ]);
    const { lastFrame, unmount } = render(<JobView state={s} />);
    const frame = lastFrame() ?? '';
    assert.match(frame, /campaign demo/);
    assert.match(frame, /✔ 1 identify\s+3 ms {2}EMU-1/);
    assert.match(frame, /▶ 2 program/);
    assert.match(frame, /░ {2}50%/);
    assert.match(frame, /· 3 infer/);
    assert.match(frame, /p pause · a abort · v view · \? help · q quit \(aborts\)/);
    unmount();
  });

  it('samples a flood of updates: bounded frames, and the last state is always drawn', () => {
    const scheduler = new TestScheduler((a, b) => assert.deepEqual(a, b));
    scheduler.run(({ expectObservable }) => {
      // 10,000 progress updates at one virtual instant, then completion.
      const updates = concat(
        from(start),
        range(0, 10_000).pipe(
          map((i): JobUpdate => ({ kind: 'progress', index: 0, done: i, total: 10_000 })),
        ),
        of<JobUpdate>({ kind: 'finished', outcome: 'completed' }),
      );
      const frames = sampleJob(updates, 100, scheduler).pipe(
        map((s) => `${s.updates}:${s.outcome ?? ''}`),
      );
      const final = `${10_003}:completed`;
      // One frame from `last` at once, one from the audit window 100 ms later; no more.
      expectObservable(frames).toBe('a 99ms (b|)', { a: final, b: final });
    });
  });

  it('turns q and p into abort and pause, and exits after drawing the final state', async () => {
    const updates = new Subject<JobUpdate>();
    let aborts = 0;
    let pauses = 0;
    const app = render(
      <JobApp
        states={sampleJob(updates, 10)}
        initial={initialJobState()}
        interactive
        onAbort={() => aborts++}
        onPauseToggle={() => pauses++}
      />,
    );
    start.forEach((u) => updates.next(u));
    await new Promise((r) => setImmediate(r));
    app.stdin.write('p');
    app.stdin.write('q');
    assert.equal(pauses, 1);
    assert.equal(aborts, 1);
    updates.next({ kind: 'finished', outcome: 'aborted' });
    updates.complete();
    await until(() => /aborted/.test(app.lastFrame() ?? ''));
    app.unmount();
  });
});
