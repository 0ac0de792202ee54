/**
 * How a pipeline waits for chip time to pass (relaxation settle times). A real board relaxes in
 * real time, so the default waits on a scheduler (virtual in marble tests). An emulated chip on
 * a virtual clock only ages when told to, so there the wait advances the chip's clock instead.
 */
import { asyncScheduler, defer, of, timer, type Observable, type SchedulerLike } from 'rxjs';
import { BenchError } from '../../drivers/driver.ts';

/** Let `seconds` of chip time pass; emits once, then completes. Unsubscribing stops waiting. */
export type Wait = (seconds: number) => Observable<unknown>;

function checked(seconds: number): number {
  if (!(seconds >= 0) || !Number.isFinite(seconds))
    throw new BenchError('INVALID_ARGUMENT', `cannot wait ${seconds} s`, {
      field: 'seconds',
      value: seconds,
    });
  return seconds;
}

/** Wait in real time on `scheduler` (default asyncScheduler): the way a real board waits. */
export function schedulerWait(scheduler: SchedulerLike = asyncScheduler): Wait {
  return (seconds) => defer(() => timer(checked(seconds) * 1000, scheduler));
}

/** A clock that can be moved on, such as the emulator's ManualClock. */
export interface AdvanceableClock {
  /** Move forward by `seconds`. */
  advance(seconds: number): void;
}

/** Wait by advancing a chip's virtual clock: an hour of relaxation costs no real time. */
export function clockWait(clock: AdvanceableClock): Wait {
  return (seconds) =>
    defer(() => {
      clock.advance(checked(seconds));
      return of(undefined);
    });
}
