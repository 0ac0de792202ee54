/**
 * How big each request of a split operation may be so that it and its reply fit the line limit
 * (§2.6). Lengths are computed from the worst case of every variable field (a 5-digit seq, a
 * 24-character number), so a request sized here is never answered `ERR 102`.
 */
import { MAX_STAGE_BYTES } from '../wire/wire-format.ts';

/** Characters of base64 for `bytes` bytes. */
export const b64 = (bytes: number) => 4 * Math.ceil(bytes / 3);

/** Seq, verb, separators, CRC and terminator of any line, plus three numbers in the reply (chars). */
const OVERHEAD = 5 + 1 + 9 + 1 + 6 + 2 + 3 * 25;

/** Largest n in [0, hi] with fits(n) (fits is monotone). */
export function largest(hi: number, fits: (n: number) => boolean): number {
  let lo = 0;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Cells per READ reply (f32 each). */
export function readCells(maxLine: number): number {
  return largest(1 << 20, (n) => OVERHEAD + b64(4 * n) <= maxLine);
}

/** Cells per FORM reply (flag bit, u16 pulses, f32 conductance each). */
export function formCells(maxLine: number): number {
  return largest(
    1 << 20,
    (n) => OVERHEAD + b64(Math.ceil(n / 8)) + b64(2 * n) + b64(4 * n) + 2 <= maxLine,
  );
}

/** Cells per PROG request and reply (f32 targets out; f32, u16, flag bit back). */
export function progCells(maxLine: number): number {
  return largest(
    1 << 20,
    (n) =>
      OVERHEAD + 5 * 25 + b64(4 * n) <= maxLine &&
      OVERHEAD + b64(4 * n) + b64(2 * n) + b64(Math.ceil(n / 8)) + 2 <= maxLine,
  );
}

/**
 * Vectors per MVM request: `k` inputs and `n` outputs per vector at `bits` bits, line sets of
 * the given text lengths, at most `maxBatch`.
 */
export function mvmVectors(
  maxLine: number,
  k: number,
  n: number,
  bits: number,
  lineSetChars: number,
  maxBatch: number,
): number {
  return largest(
    maxBatch,
    (b) =>
      OVERHEAD + lineSetChars + b64(Math.ceil((b * k * bits) / 8)) <= maxLine &&
      OVERHEAD + b64(Math.ceil((b * n * bits) / 8)) <= maxLine,
  );
}

/** Split `total` items into consecutive [start, size] chunks of at most `per`. */
export function chunks(total: number, per: number): [number, number][] {
  const out: [number, number][] = [];
  for (let s = 0; s < total; s += per) out.push([s, Math.min(per, total - s)]);
  return out;
}

/**
 * Vectors the chip runs at once for an MVM of `k` inputs and `n` outputs at `bits` with line
 * sets of `lineSetChars`: as many as one request of `maxLine` bytes carries (so that on a clean
 * link each chunk is one MVM line), at least one, at most `maxBatch` and what the board's
 * staging buffer holds (§4 STAGE). It depends on the operation and the configured line length
 * only — never on the state of the link — so that results are the same on any link.
 */
export function mvmChunkVectors(
  maxLine: number,
  k: number,
  n: number,
  bits: number,
  lineSetChars: number,
  maxBatch: number,
): number {
  return Math.max(
    1,
    Math.min(
      mvmVectors(maxLine, k, n, bits, lineSetChars, maxBatch),
      Math.floor((MAX_STAGE_BYTES * 8) / (k * bits)),
      Math.floor((MAX_STAGE_BYTES * 8) / (n * bits)),
    ),
  );
}

/** Payload bytes of one STAGE or TAKE line within `maxLine` (a multiple of 3: no base64 padding). */
export function stagePieceBytes(maxLine: number): number {
  return Math.max(3, Math.floor((maxLine - 64) / 4) * 3);
}
