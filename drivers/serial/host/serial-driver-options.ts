/** Options of `SerialDriver.open`. */
import type { Binding } from '../transport/binding.ts';
import type { Timers } from '../transport/timers.ts';

export interface SerialDriverOptions {
  /** Port path, e.g. `/dev/ttyUSB0` or a PTY made by `rram-bench emulate --pty`. Required. */
  path: string;
  /** Link rate (bit/s). Default 921600. Also the rate request budgets assume. */
  baudRate?: number;
  /** Serialport binding (tests pass MockBinding or a mock pair). Default: the OS binding. */
  binding?: Binding;
  /**
   * Fixed margin of every request's timeout (ms), added to its wire time at `baudRate` and its
   * modelled execution time (§5.2). Default 1000.
   */
  timeoutMs?: number;
  /** Most ordered requests in flight, 1–8 (§5.1). Default 8. */
  window?: number;
  /**
   * Resends of a request, same seq and bytes, before it fails with TIMEOUT when the board is
   * silent meanwhile (§5.3). Default 5. A board that is heard from (even with replies corrupted
   * on the way) is resent to with backoff until `deadlineMs`.
   */
  retries?: number;
  /**
   * How long one request may go unanswered while the board is heard from (ms), before the
   * operation fails with TIMEOUT (§5.3). Default 120000 (2 min). `--link-deadline SECONDS`.
   */
  deadlineMs?: number;
  /** USB serial number of the board, to find it again if it re-enumerates at another path. Default: the one listed for `path` at open. */
  serialNumber?: string;
  /** Reconnect after the port goes away (§5.6). */
  reconnect?: {
    /** Give up after this long (ms). Default 30000. */
    maxMs?: number;
  };
  /**
   * Longest line either way (bytes); operations are split so that every request and reply fits.
   * Default 16384, the protocol maximum. Smaller lines cost fewer retransmitted bytes on a noisy
   * link (at 1e-4 corrupted bytes a 16 KiB line arrives intact only one time in five); the
   * driver lowers its line budget by itself when it sees trouble on the link, and raises it back
   * up to this after clean replies (docs/protocol.md §5.9, `stats.lineBudget`).
   */
  maxLineBytes?: number;
  /** Timers for timeouts and backoff. Default: the global setTimeout (tests inject a manual clock). */
  timers?: Timers;
  /** Session id sent in SESS (8 hex digits). Default: random. For tests and recorded sessions. */
  sessionId?: string;
  /** First seq of the session (0–65535). Default 1. */
  firstSeq?: number;
}
