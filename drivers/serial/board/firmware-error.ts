/**
 * Error codes of docs/protocol.md §3, and the board-side error that carries one to an `ERR`
 * reply. BenchErrors thrown by the emulated chip are mapped onto them by `toWireError`.
 */
import { isBenchError } from '../../driver.ts';

/** §3 error codes. */
export const WIRE_ERROR = {
  PARSE: 100,
  TOO_LONG: 102,
  UNKNOWN_VERB: 110,
  BAD_ARGS: 111,
  LIMIT: 200,
  RANGE: 201,
  ABORTED: 300,
  SEQ_REUSED: 400,
  INTERNAL: 500,
} as const;

/** A §3 error code. */
export type WireErrorCode = (typeof WIRE_ERROR)[keyof typeof WIRE_ERROR];

/** A request the board answers with `ERR <code> <message>`. */
export class WireError extends Error {
  override readonly name = 'WireError';
  constructor(
    readonly code: WireErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The wire error for anything a verb threw. The chip's own checks speak BenchError: LIMIT is a
 * safe-operating-area refusal (200); INVALID_ARGUMENT reaches the chip only for values that did
 * parse as numbers, so it is an address or size out of range (201); ABORTED is an IDLE/ABORT
 * (300). Anything else is a board fault (500).
 */
export function toWireError(e: unknown): WireError {
  if (e instanceof WireError) return e;
  if (isBenchError(e, 'LIMIT')) return new WireError(WIRE_ERROR.LIMIT, e.message);
  if (isBenchError(e, 'INVALID_ARGUMENT')) return new WireError(WIRE_ERROR.RANGE, e.message);
  if (isBenchError(e, 'ABORTED')) return new WireError(WIRE_ERROR.ABORTED, e.message);
  const message = e instanceof Error ? e.message : String(e);
  return new WireError(WIRE_ERROR.INTERNAL, `internal error: ${message}`);
}

const ASCII_FOR: Record<string, string> = {
  µ: 'u',
  '×': 'x',
  '≥': '>=',
  '≤': '<=',
  '−': '-',
  '–': '-',
  '—': '-',
  '…': '...',
  '²': '^2',
};

/**
 * Error text for the wire, which is printable ASCII (§1.2): the chip's messages use `µS`, `×`
 * and `≥`, spelt here as `uS`, `x`, `>=`; anything else outside ASCII becomes `?`.
 */
export function asciiText(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, (c) => ASCII_FOR[c] ?? '?');
}
