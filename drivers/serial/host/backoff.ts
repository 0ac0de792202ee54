/**
 * Retry an attempt with exponential backoff (§5.6: 0.1 s doubling to 2 s, for up to 30 s).
 * Time is counted on the injected timers, so tests run it without waiting.
 */
import { BenchError, isBenchError } from '../../driver.ts';
import { sleep, type Timers } from '../transport/timers.ts';

/** Backoff settings. */
export interface BackoffOptions {
  /** First wait (ms). Default 100. */
  initialMs?: number;
  /** Longest wait (ms). Default 2000. */
  capMs?: number;
  /** Give up once this much time has been spent waiting (ms). Default 30000. */
  maxMs?: number;
  /** Time source. */
  timers: Timers;
  /** Errors worth another try. Default: IO, TIMEOUT and DISCONNECTED BenchErrors. */
  retryable?: (e: unknown) => boolean;
}

const transient = (e: unknown) =>
  isBenchError(e, 'IO') || isBenchError(e, 'TIMEOUT') || isBenchError(e, 'DISCONNECTED');

export async function withBackoff<T>(
  attempt: () => Promise<T>,
  o: BackoffOptions,
  stopped: () => boolean = () => false,
): Promise<T> {
  const cap = o.capMs ?? 2000;
  const max = o.maxMs ?? 30000;
  const retryable = o.retryable ?? transient;
  let wait = o.initialMs ?? 100;
  let waited = 0;
  for (;;) {
    await sleep(o.timers, wait);
    waited += wait;
    if (stopped()) throw new BenchError('CLOSED', 'closed while reconnecting');
    try {
      return await attempt();
    } catch (e) {
      if (!retryable(e) || waited >= max) throw e;
    }
    wait = Math.min(cap, wait * 2, max - waited);
  }
}
