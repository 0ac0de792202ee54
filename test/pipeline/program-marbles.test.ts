import assert from 'node:assert/strict';
import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { characterize } from '../../src/pipeline/characterize.ts';
import { programRegion } from '../../src/pipeline/program.ts';
import { schedulerWait } from '../../src/pipeline/wait.ts';
import { fakeChip } from './fake-chip.ts';

const region = { row: 0, col: 0, rows: 1, cols: 4 };
const targetsMicroS = Float32Array.from([5, 10, 15, 25]);
const targets = new Map([...targetsMicroS].map((t, k) => [k, t]));
const scheduler = () => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));

describe('time-dependent pipelines (marbles)', () => {
  it('schedulerWait emits after the given seconds of scheduler time', () => {
    const ts = scheduler();
    ts.run(({ expectObservable }) => {
      expectObservable(schedulerWait(ts)(0.005).pipe(map(() => 'w'))).toBe('5ms (w|)');
    });
  });

  for (const mode of ['host', 'board'] as const) {
    it(`${mode} re-check waits settleS, re-programs drifted cells, stops when none drift`, () => {
      const ts = scheduler();
      // First writes drift by +3 µS once 10 ms old; re-written cells stay put.
      const { driver, calls } = fakeChip({
        scheduler: ts,
        targets,
        drift: (_k, age, writes) => (writes === 1 && age >= 0.01 ? 3 : 0),
      });
      ts.run(({ expectObservable }) => {
        const events = programRegion(
          driver,
          { region, targetsMicroS, mode, recheck: { settleS: 0.01, rounds: 3 } },
          ts,
        ).pipe(map((e) => (e.kind === 'recheck' ? `r${e.round}:${e.drifted}` : e.kind)));
        expectObservable(events).toBe('a 9ms (bc) 6ms (de|)', {
          a: 'progress',
          b: 'progress',
          c: 'r1:4',
          d: 'r2:0',
          e: 'report',
        });
      });
      assert.equal(calls.idle, undefined, 'a completed run does not idle the chip');
    });
  }

  it('a cancelled re-check wait leaves the chip idle and pulses no more', () => {
    const ts = scheduler();
    const { driver, calls } = fakeChip({
      scheduler: ts,
      targets,
      drift: (_k, age) => (age >= 0.5 ? 3 : 0),
    });
    ts.run(({ expectObservable }) => {
      const events = programRegion(
        driver,
        { region, targetsMicroS, mode: 'host', recheck: { settleS: 1, rounds: 1 } },
        ts,
      ).pipe(map((e) => e.kind));
      expectObservable(events, '^ 500ms !').toBe('a', { a: 'progress' });
    });
    assert.equal(calls.idle, 1);
    assert.equal(calls.pulse, 4, 'only the first pass pulsed');
  });

  it('characterisation reads relaxation at each settle time after programming', () => {
    const ts = scheduler();
    const { driver } = fakeChip({
      scheduler: ts,
      targets: new Map(),
      drift: (k, age) => (age > 0 ? ((k % 2) - 0.5) * 0.2 : 0),
    });
    ts.run(({ expectObservable }) => {
      const events = characterize(
        driver,
        { region, relaxationTimesS: [1, 3], columns: false, stuck: false },
        ts,
      ).pipe(map((e) => (e.kind === 'step' ? e.step : e.kind)));
      expectObservable(events).toBe('p 999ms r 1999ms (rnm|)', {
        p: 'program',
        r: 'relaxation',
        n: 'read-noise',
        m: 'model',
      });
    });
  });
});
