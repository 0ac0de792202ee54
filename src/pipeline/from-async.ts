/**
 * A cold Observable around an async procedure that awaits chip operations with `observe`:
 * subscribing starts it, unsubscribing aborts its signal — which drops the chip operation in
 * flight, the way a ChipDriver cancels. The procedure may `emit` progress before it resolves.
 */
import { Observable } from 'rxjs';

/** Run `body` per subscription; emit what it emits, then its result, then complete. */
export function fromAsync<T, P = never>(
  body: (signal: AbortSignal, emit: (progress: P) => void) => Promise<T>,
): Observable<T | P> {
  return new Observable<T | P>((subscriber) => {
    const abort = new AbortController();
    body(abort.signal, (p) => {
      if (!abort.signal.aborted) subscriber.next(p);
    }).then(
      (value) => {
        subscriber.next(value);
        subscriber.complete();
      },
      (e: unknown) => subscriber.error(e),
    );
    return () => abort.abort();
  });
}
