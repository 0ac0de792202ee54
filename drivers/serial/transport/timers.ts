/**
 * The link's only source of time. Timeouts and reconnect backoff take a `Timers` so tests drive
 * them with a manual clock instead of sleeping (the RxJS `scheduler = asyncScheduler` idea, for
 * code that lives on Promises and stream events rather than Observables).
 */

/** Opaque handle of a scheduled callback. */
export type TimerHandle = unknown;

/** Schedule and cancel callbacks in milliseconds. */
export interface Timers {
  /** Run `fn` once after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Cancel a callback that has not run yet; a no-op otherwise. */
  clearTimeout(handle: TimerHandle): void;
}

/** Wall-clock timers (the globals). */
export const realTimers: Timers = {
  setTimeout(fn, ms) {
    return setTimeout(fn, ms);
  },
  clearTimeout(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};

/** Wait `ms` milliseconds on `timers`. */
export function sleep(timers: Timers, ms: number): Promise<void> {
  return new Promise((resolve) => timers.setTimeout(resolve, ms));
}
