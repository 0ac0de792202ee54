/** Map a board's `ERR <code> <text>` reply (§3) to a BenchError with a stable code. */
import { BenchError, type BenchErrorCode } from '../../driver.ts';

const CODES: Record<number, BenchErrorCode> = {
  100: 'PROTOCOL',
  102: 'PROTOCOL',
  110: 'PROTOCOL',
  111: 'PROTOCOL',
  200: 'LIMIT',
  201: 'INVALID_ARGUMENT',
  300: 'ABORTED',
};

export function boardError(port: string, verb: string, code: number, text: string): BenchError {
  return new BenchError(
    CODES[code] ?? 'DEVICE',
    `board on ${port} refused ${verb}: ERR ${code} ${text}`,
    {
      port,
      verb,
      boardCode: code,
      boardText: text,
    },
  );
}
