import assert from 'node:assert/strict';
import { defer, from, lastValueFrom, Observable, of, timer, toArray } from 'rxjs';
import { catchError, concatMap, map, take } from 'rxjs/operators';
import { TestScheduler } from 'rxjs/testing';
import { isBenchError } from '../../drivers/driver.ts';
import { openChip } from '../../drivers/factory.ts';
import { infer } from '../../src/inference/infer.ts';
import { placeLayers } from '../../src/programming/placement.ts';
import { streamBatches } from '../../src/pipeline/stream-batches.ts';

const ticks = (n: number) =>
  new Observable<void>((s) => {
    let left = n;
    const step = () => (left-- > 0 ? setImmediate(step) : (s.next(), s.complete()));
    step();
  });

describe('streamBatches', () => {
  const scheduler = () => new TestScheduler((a, b) => assert.deepEqual(a, b));

  it('runs at most inFlight projections and emits in source order (marbles)', () => {
    const ts = scheduler();
    ts.run(({ cold, expectSubscriptions, flush }) => {
      const a = cold('-----(a|)');
      const b = cold('-(b|)');
      const c = cold('--(c|)');
      const d = cold('-(d|)');
      const seen: string[] = [];
      streamBatches([a, b, c, d], (o) => o, { inFlight: 2 }).subscribe({
        next: (v) => seen.push(`${v}@${ts.now()}`),
        complete: () => seen.push(`|@${ts.now()}`),
      });
      flush();
      // b is done at 1 but waits for a (5); c and d start only when a and b leave at 5.
      assert.deepEqual(seen, ['a@5', 'b@5', 'c@7', 'd@7', '|@7']);
      expectSubscriptions(a.subscriptions).toBe('^----!');
      expectSubscriptions(b.subscriptions).toBe('^!');
      expectSubscriptions(c.subscriptions).toBe('-----^-!');
      expectSubscriptions(d.subscriptions).toBe('-----^!');
    });
  });

  it('inFlight 1 is a lazy concatMap', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const items = [cold('--(a|)'), cold('-(b|)'), cold('---(c|)')];
      expectObservable(streamBatches(items, (o) => o, { inFlight: 1 })).toBe('--ab--(c|)');
    });
  });

  it('fails a batch that exceeds its time limit with TIMEOUT (virtual time)', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const items = [cold('--(a|)'), cold('--------(b|)')];
      const out = streamBatches(items, (o) => o, { inFlight: 1, timeoutMs: 5 });
      const code = catchError((e: unknown) => of(isBenchError(e, 'TIMEOUT') ? 'T' : 'X'));
      expectObservable(out.pipe(code)).toBe('--a----(T|)');
    });
  });

  it('never reads more than inFlight items ahead of a slow consumer (from() would drain them all)', async () => {
    let read = 0;
    let consumed = 0;
    let maxAhead = 0;
    function* source() {
      for (let i = 0; i < 200; i++) {
        read++;
        maxAhead = Math.max(maxAhead, read - consumed);
        yield new Uint8Array(1024);
      }
    }
    // The slow consumer: 20 event-loop turns per batch (no timers, no sleeps).
    const slow = (b: Uint8Array) => ticks(20).pipe(map(() => (consumed++, b.length)));
    const n = await lastValueFrom(streamBatches(source(), slow, { inFlight: 3 }).pipe(toArray()));
    assert.equal(n.length, 200);
    assert.equal(maxAhead, 3);

    // The contrast: from(generator) is drained at subscription into concatMap's buffer.
    read = consumed = maxAhead = 0;
    await lastValueFrom(from(source()).pipe(concatMap(slow), toArray()));
    assert.equal(maxAhead, 200);
  });

  it('streams inference batches from a lazy source with a slow consumer on the emulator', async () => {
    const chip = await openChip({ emulator: true, profile: 'ideal', clock: 'virtual' });
    try {
      const layer = placeLayers([{ name: 'fc', inputs: 32, outputs: 8 }]).layers[0]!;
      let read = 0;
      let done = 0;
      let maxAhead = 0;
      function* batches() {
        for (let i = 0; i < 50; i++) {
          read++;
          maxAhead = Math.max(maxAhead, read - done);
          yield new Uint8Array(64 * 32).fill(i % 4);
        }
      }
      const model = { countsPerMicroSPulse: 1 / 256, saturationCount: Infinity, precisionBits: 8 };
      const outs = await lastValueFrom(
        infer(chip, [{ layer }], batches(), {
          model,
          inFlight: 2,
          consume: () => defer(() => ticks(10).pipe(concatMap(() => of(done++)))),
        }).pipe(toArray()),
      );
      assert.deepEqual(
        outs.map((o) => o.index),
        Array.from({ length: 50 }, (_, i) => i),
      );
      assert.ok(maxAhead <= 2, `read ${maxAhead} batches ahead`);
    } finally {
      await chip.close();
    }
  });

  it('unsubscribing stops reading the source', async () => {
    let read = 0;
    function* source() {
      for (;;) {
        read++;
        yield 1;
      }
    }
    await lastValueFrom(streamBatches(source(), () => timer(0), { inFlight: 2 }).pipe(take(1)));
    assert.ok(read <= 3, `read ${read}`);
  });
});
