/**
 * Pull-based streaming with backpressure: items are read from an iterator only while fewer than
 * `inFlight` projections are running, and results come out in source order. Unlike
 * `from(iterable).pipe(concatMap(...))`, which drains the whole iterable into concatMap's buffer
 * at subscription, memory here is bounded by `inFlight` items whatever the source's length.
 *
 * A slow consumer makes the stream wait when it is synchronous, or when its work is part of
 * `project` (e.g. `mvm(batch).pipe(concatMap(store))`): a slot is freed only when the
 * projection completes. Work done in a downstream async operator is not seen and can buffer.
 */
import {
  asyncScheduler,
  from,
  Observable,
  throwError,
  timeout,
  type ObservableInput,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';
import { BenchError } from '../../drivers/driver.ts';

/** Options of `streamBatches`. */
export interface StreamOptions {
  /** Most items read from the source but not yet emitted downstream (≥ 1). Default 2. */
  inFlight?: number;
  /** Fail with TIMEOUT when one projection takes longer than this (ms). Default: no limit. */
  timeoutMs?: number;
  /** Scheduler of the timeout. Default asyncScheduler. */
  scheduler?: SchedulerLike;
}

/** Project every item of `source` with bounded concurrency and in-order results. */
export function streamBatches<T, R>(
  source: Iterable<T>,
  project: (item: T, index: number) => ObservableInput<R>,
  options: StreamOptions = {},
): Observable<R> {
  const { inFlight = 2, timeoutMs, scheduler = asyncScheduler } = options;
  if (!(Number.isInteger(inFlight) && inFlight >= 1))
    throw new BenchError('INVALID_ARGUMENT', `inFlight must be an integer ≥ 1, got ${inFlight}`, {
      field: 'inFlight',
    });
  return new Observable<R>((subscriber) => {
    const it = source[Symbol.iterator]();
    const slots = new Map<number, { values: R[]; done: boolean; sub?: Subscription }>();
    let read = 0;
    let head = 0;
    let exhausted = false;
    let pulling = false;
    let closed = false;

    const flush = () => {
      for (let s = slots.get(head); s; s = slots.get(head)) {
        for (const v of s.values.splice(0)) subscriber.next(v);
        if (!s.done) return;
        slots.delete(head++);
      }
      if (exhausted && slots.size === 0) subscriber.complete();
    };

    const start = (item: T, index: number) => {
      const slot: { values: R[]; done: boolean; sub?: Subscription } = { values: [], done: false };
      slots.set(index, slot);
      let inner = from(project(item, index));
      if (timeoutMs !== undefined)
        inner = inner.pipe(
          timeout({
            first: timeoutMs,
            each: timeoutMs,
            scheduler,
            with: () =>
              throwError(
                () =>
                  new BenchError('TIMEOUT', `batch ${index} took longer than ${timeoutMs} ms`, {
                    index,
                  }),
              ),
          }),
        );
      slot.sub = inner.subscribe({
        next: (v) => {
          slot.values.push(v);
          if (index === head) flush();
        },
        error: (e: unknown) => subscriber.error(e),
        complete: () => {
          slot.done = true;
          flush();
          pull();
        },
      });
    };

    // Re-entrant calls (a projection completing synchronously) just extend the running loop.
    const pull = () => {
      if (pulling) return;
      pulling = true;
      try {
        // Count finished-but-unemitted items too: a slow head must not let the rest pile up.
        while (!closed && !exhausted && slots.size < inFlight) {
          const r = it.next();
          if (r.done) {
            exhausted = true;
            flush();
          } else start(r.value, read++);
        }
      } catch (e) {
        subscriber.error(e);
      } finally {
        pulling = false;
      }
    };

    pull();
    return () => {
      closed = true;
      for (const s of slots.values()) s.sub?.unsubscribe();
      slots.clear();
      if (!exhausted) it.return?.();
    };
  });
}
