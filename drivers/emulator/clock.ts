/**
 * Where the emulated chip gets its time from. Relaxation grows with time since programming, so
 * tests inject a `ManualClock` and step hours in microseconds; the default is wall time.
 */

/** A source of time in seconds. */
export interface Clock {
  /** Seconds since an arbitrary, fixed epoch. Never decreases. */
  now(): number;
}

/** Wall-clock time (s since the Unix epoch). */
export const realClock: Clock = { now: () => Date.now() / 1000 };

/** A clock that moves only when told to. */
export class ManualClock implements Clock {
  constructor(private t = 0) {}
  now(): number {
    return this.t;
  }
  /** Move forward by `seconds` (≥ 0). */
  advance(seconds: number): void {
    if (!(seconds >= 0)) throw new RangeError(`clock cannot move by ${seconds} s`);
    this.t += seconds;
  }
  /** Jump to an absolute time, not earlier than now. */
  set(seconds: number): void {
    if (!(seconds >= this.t)) throw new RangeError(`clock cannot go back to ${seconds} s`);
    this.t = seconds;
  }
}
