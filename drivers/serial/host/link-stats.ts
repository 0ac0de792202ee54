/** Counters of a serial link, as `SerialDriver.stats` reports them. */
import type { BadLine } from '../wire/codec.ts';

/** What the host saw on the link since the driver opened. */
export interface LinkStats {
  /** Request lines written for the first time (handshake queries included). */
  sent: number;
  /** Replies that settled a request (first try or resend). */
  replies: number;
  /** Smoothed round trip of requests answered at the first try (ms; 0 before the first). */
  rttMs: number;
  /** Request lines written again with the same seq (after a timeout or a lost reply). */
  retries: number;
  /** Reply lines dropped, by reason: bad charset, bad CRC, unparsable, too long. §2.5 */
  badLines: Record<BadLine, number>;
  /** Well-formed replies that answered no request in flight (duplicates, late replies). */
  unmatched: number;
  /** Requests whose reply did not come within their budget. */
  timeouts: number;
  /** Successful reconnects after the port went away or the board reset. */
  reconnects: number;
  /** Board resets seen (a new boot id). §5.7 */
  boardResets: number;
  /** Errors drained from the board's queue with SYST:ERR? or announced by `! ERR`. */
  boardErrors: string[];
  /** Longest line requests are sized for now (bytes): `maxLineBytes`, lower on a noisy link. §5.9 */
  lineBudget: number;
  /** Times trouble on the link (resends, bad reply lines) halved the line budget. */
  budgetCuts: number;
  /** Times a run of clean replies doubled it again. */
  budgetRaises: number;
}

export function emptyStats(lineBudget: number): LinkStats {
  return {
    sent: 0,
    replies: 0,
    rttMs: 0,
    retries: 0,
    badLines: { charset: 0, crc: 0, syntax: 0, long: 0 },
    unmatched: 0,
    timeouts: 0,
    reconnects: 0,
    boardResets: 0,
    boardErrors: [],
    lineBudget,
    budgetCuts: 0,
    budgetRaises: 0,
  };
}
