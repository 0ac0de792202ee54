/**
 * Letting chip time pass (retention waits). The ChipDriver contract has no `wait` yet, so: an
 * emulated chip in virtual time has its clock advanced (found by shape, not by importing the
 * emulator — src/ reaches implementations only through the factory); anything else waits
 * in real time, cancellable by `signal`.
 * TODO: a `wait(seconds)` operation on ChipDriver would replace the duck typing here.
 */
import { BenchError } from '../../drivers/driver.ts';
import type { ChipDriver } from '../../drivers/driver.ts';

interface VirtualClock {
  advance(seconds: number): void;
}

/** Wait `seconds` of chip time on `driver`. */
export function chipWait(driver: ChipDriver, seconds: number, signal: AbortSignal): Promise<void> {
  if (!(seconds > 0)) return Promise.resolve();
  const clock = (driver as unknown as { virtualClock?: VirtualClock }).virtualClock;
  if (clock && typeof clock.advance === 'function') {
    clock.advance(seconds);
    return Promise.resolve();
  }
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new BenchError('ABORTED', 'aborted'));
    const onAbort = () => {
      clearTimeout(timer);
      reject(new BenchError('ABORTED', 'aborted'));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, seconds * 1000);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
