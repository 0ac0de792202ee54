/**
 * How a pipeline waits for chip time to pass (relaxation settle times). The default asks the
 * chip itself (`ChipDriver.wait`): a real board and a wall-time emulator wait in real time, an
 * emulator on virtual time advances its clock at once. The other waits serve tests.
 */
import { asyncScheduler, defer, of, timer, type Observable, type SchedulerLike } from 'rxjs';
import type { ChipDriver } from '../../drivers/driver.ts';
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

/** Wait on the chip's own time: the default of every pipeline. */
export function chipWait(driver: Pick<ChipDriver, 'wait'>): Wait {
  return (seconds) => defer(() => driver.wait(checked(seconds)));
}
