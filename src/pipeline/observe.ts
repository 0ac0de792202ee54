/**
 * Await a chip operation (a cold Observable) at the edge of the program, with Ctrl-C support:
 * when `signal` aborts, the subscription is dropped — which is what cancels the operation on
 * the chip — and the promise rejects with ABORTED.
 */
import { Subscription } from 'rxjs';
import type { Observable } from 'rxjs';
import { BenchError } from '../../drivers/driver.ts';

/** Options of `observe`. */
export interface ObserveOptions<T> {
  /** Aborting cancels the operation. */
  signal?: AbortSignal;
  /** Called with every value, e.g. progress events. */
  next?: (value: T) => void;
  /** Resolve with the first value and unsubscribe. Default false: wait for completion. */
  first?: boolean;
}

/** Subscribe to `source`; resolve with its last (or first) value; reject on error or abort. */
export function observe<T>(source: Observable<T>, options: ObserveOptions<T> = {}): Promise<T> {
  const { signal, next, first = false } = options;
  return new Promise<T>((resolve, reject) => {
    const aborted = () => new BenchError('ABORTED', 'aborted');
    if (signal?.aborted) return reject(aborted());
    let last: { value: T } | undefined;
    let done = false;
    // Closing `subscription` before the source subscription is added (a synchronous answer)
    // makes `add` unsubscribe it at once, which is what we want.
    const subscription = new Subscription();
    const onAbort = () => finish(() => reject(aborted()));
    const finish = (settle: () => void) => {
      if (done) return;
      done = true;
      signal?.removeEventListener('abort', onAbort);
      subscription.unsubscribe();
      settle();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    subscription.add(
      source.subscribe({
        next: (value) => {
          if (done) return;
          last = { value };
          next?.(value);
          if (first) finish(() => resolve(value));
        },
        error: (e: unknown) => finish(() => reject(e instanceof Error ? e : new Error(String(e)))),
        complete: () =>
          finish(() =>
            last
              ? resolve(last.value)
              : reject(
                  new BenchError('PROTOCOL', 'the chip operation completed without an answer'),
                ),
          ),
      }),
    );
  });
}
