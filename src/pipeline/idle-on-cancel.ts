/**
 * Leave the chip idle when a pipeline is cancelled or fails (design.md §6: an abort always leaves
 * all lines grounded). Not on normal completion: `idle()` also stops operations that other
 * subscribers run on the same chip, and a completed pipeline has nothing in flight.
 */
import { Observable, type MonoTypeOperatorFunction } from 'rxjs';
import type { ChipDriver } from '../../drivers/driver.ts';

/** Mirror the source; on unsubscribe before completion, or on error, call `driver.idle()`. */
export function idleOnCancel<T>(driver: ChipDriver): MonoTypeOperatorFunction<T> {
  return (source) =>
    new Observable<T>((subscriber) => {
      let finished = false;
      const idle = () => {
        // Best effort: a chip that cannot even be idled has nothing left to report to us.
        driver.idle().subscribe({ error: () => undefined });
      };
      const inner = source.subscribe({
        next: (v) => subscriber.next(v),
        error: (e: unknown) => {
          finished = true;
          idle();
          subscriber.error(e);
        },
        complete: () => {
          finished = true;
          subscriber.complete();
        },
      });
      return () => {
        inner.unsubscribe();
        if (!finished) idle();
      };
    });
}
