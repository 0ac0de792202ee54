/**
 * The line codec of docs/protocol.md v1: CRC-16/CCITT-FALSE, request/reply/event framing and
 * parsing, packed binary payloads in base64, line sets. Pure functions; both the host driver and
 * the firmware emulator use them, so the two ends cannot disagree on a byte.
 */

import type { ReadoutConfig } from '../../driver.ts';

/** Protocol version this codec implements. */
export const PROTOCOL_VERSION = 1;
/** Longest line in either direction, terminator included (bytes). §2.6 */
export const MAX_LINE_BYTES = 16384;

const CRC_TABLE = new Uint16Array(256);
for (let n = 0; n < 256; n++) {
  let c = n << 8;
  for (let k = 0; k < 8; k++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
  CRC_TABLE[n] = c;
}

/** CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final XOR). §2.4 */
export function crc16(data: string | Uint8Array): number {
  let crc = 0xffff;
  if (typeof data === 'string') {
    for (let i = 0; i < data.length; i++)
      crc = ((crc << 8) & 0xffff) ^ CRC_TABLE[((crc >> 8) ^ data.charCodeAt(i)) & 0xff]!;
  } else {
    for (let i = 0; i < data.length; i++)
      crc = ((crc << 8) & 0xffff) ^ CRC_TABLE[((crc >> 8) ^ data[i]!) & 0xff]!;
  }
  return crc;
}

/** Four upper-case hex digits. */
export function crcHex(body: string): string {
  return crc16(body).toString(16).toUpperCase().padStart(4, '0');
}

/** `body*CRC` (no terminator). */
export function withCrc(body: string): string {
  return `${body}*${crcHex(body)}`;
}

/** A request line, terminator included. */
export function encodeRequest(
  seq: number,
  verb: string,
  args: readonly (string | number)[] = [],
): string {
  const body = args.length ? `${seq} ${verb} ${args.join(' ')}` : `${seq} ${verb}`;
  return `${withCrc(body)}\n`;
}

/** Seq of a reply: the request's, or `-` when the request had none. */
export type ReplySeq = number | '-';

/** An OK reply line (board side), terminator included. */
export function encodeOk(seq: ReplySeq, value?: string): string {
  return `${withCrc(value === undefined || value === '' ? `${seq} OK` : `${seq} OK ${value}`)}\r\n`;
}

/** An ERR reply line (board side), terminator included. */
export function encodeErr(seq: ReplySeq, code: number, text: string): string {
  return `${withCrc(`${seq} ERR ${code} ${text.replace(/[^\x20-\x7e]/g, '?')}`)}\r\n`;
}

/** An event line (board side), terminator included. */
export function encodeEvent(name: string, args: readonly string[] = []): string {
  return `${withCrc(['!', name, ...args].join(' '))}\r\n`;
}

/** Why a line was dropped. */
export type BadLine = 'charset' | 'crc' | 'syntax' | 'long';

const CRC_SUFFIX = /\*([0-9A-F]{4})$/;
const PRINTABLE = /^[\x20-\x7e]*$/;

/** Split off and check the CRC. `required`: a line without one is bad. */
function unwrap(line: string, required: boolean): { body: string; hadCrc: boolean } | BadLine {
  if (line.length > MAX_LINE_BYTES) return 'long';
  if (!PRINTABLE.test(line)) return 'charset';
  const m = CRC_SUFFIX.exec(line);
  if (!m) return required ? 'crc' : { body: line, hadCrc: false };
  const body = line.slice(0, -5);
  return crcHex(body) === m[1] ? { body, hadCrc: true } : 'crc';
}

/** A parsed request. */
export interface Request {
  /** Undefined when typed without one at a terminal. */
  seq: number | undefined;
  verb: string;
  args: string[];
  /** The line as received, for reply-cache comparison. */
  line: string;
}

/** Parse a request line (terminator removed); seq and CRC optional together (§2.3). */
export function parseRequest(line: string): Request | BadLine {
  const u = unwrap(line, false);
  if (typeof u === 'string') return u;
  const words = u.body
    .trim()
    .split(' ')
    .filter((w) => w !== '');
  if (words.length === 0) return 'syntax';
  let seq: number | undefined;
  if (/^\d+$/.test(words[0]!)) {
    // Only terminal input may omit the CRC, and it has no seq: a host line with a damaged
    // CRC marker must not pass as a CRC-less one.
    if (!u.hadCrc) return 'crc';
    seq = Number(words.shift());
    if (seq > 65535) return 'syntax';
  }
  const verb = words.shift();
  // Verbs are case-insensitive (§2.2): `*idn?` typed at a terminal is `*IDN?`.
  if (verb === undefined || !/^[*A-Za-z][A-Za-z0-9:]*\??$/.test(verb)) return 'syntax';
  return { seq, verb: verb.toUpperCase(), args: words, line };
}

/** A parsed reply or event. */
export type Reply =
  | { kind: 'ok'; seq: ReplySeq; value: string }
  | { kind: 'err'; seq: ReplySeq; code: number; text: string }
  | { kind: 'event'; name: string; args: string[] };

/** Parse a board line (terminator and any `\r` removed); the CRC is mandatory. */
export function parseReply(line: string): Reply | BadLine {
  const u = unwrap(line, true);
  if (typeof u === 'string') return u;
  const { body } = u;
  if (body.startsWith('! ')) {
    const [name, ...args] = body.slice(2).split(' ');
    return name ? { kind: 'event', name, args } : 'syntax';
  }
  const m = /^(\d+|-) (OK|ERR)(?: (.*))?$/.exec(body);
  if (!m) return 'syntax';
  const seq: ReplySeq = m[1] === '-' ? '-' : Number(m[1]);
  if (m[2] === 'OK') return { kind: 'ok', seq, value: m[3] ?? '' };
  const e = /^(\d{3}) (.*)$/.exec(m[3] ?? '');
  return e ? { kind: 'err', seq, code: Number(e[1]), text: e[2]! } : 'syntax';
}

/** Pack unsigned `bits`-bit values LSB first (§4 `pN`). */
export function packBits(values: ArrayLike<number>, bits: number): Uint8Array {
  if (bits === 8) return Uint8Array.from(values);
  const out = new Uint8Array(Math.ceil((values.length * bits) / 8));
  let pos = 0;
  for (let k = 0; k < values.length; k++, pos += bits) {
    const v = values[k]!;
    for (let b = 0; b < bits; b++) if ((v >> b) & 1) out[(pos + b) >> 3]! |= 1 << ((pos + b) & 7);
  }
  return out;
}

/** Unpack `count` unsigned `bits`-bit values; undefined when `bytes` has the wrong length. */
export function unpackBits(bytes: Uint8Array, bits: number, count: number): Uint8Array | undefined {
  if (bytes.length !== Math.ceil((count * bits) / 8)) return undefined;
  if (bits === 8) return bytes;
  const out = new Uint8Array(count);
  let pos = 0;
  for (let k = 0; k < count; k++, pos += bits) {
    let v = 0;
    for (let b = 0; b < bits; b++) if ((bytes[(pos + b) >> 3]! >> ((pos + b) & 7)) & 1) v |= 1 << b;
    out[k] = v;
  }
  return out;
}

/** Base64 of raw bytes. */
export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Bytes of strict base64 (RFC 4648 with padding); undefined when malformed. */
export function fromBase64(text: string): Uint8Array | undefined {
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text))
    return undefined;
  const b = Buffer.from(text, 'base64');
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** `f32` payload (§4). */
export function encodeF32(values: Float32Array): string {
  const le = new Uint8Array(values.length * 4);
  const view = new DataView(le.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
  return toBase64(le);
}

export function decodeF32(text: string, count: number): Float32Array | undefined {
  const b = fromBase64(text);
  if (!b || b.length !== count * 4) return undefined;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return Float32Array.from({ length: count }, (_, i) => view.getFloat32(i * 4, true));
}

/** `u16` payload (§4). */
export function encodeU16(values: ArrayLike<number>): string {
  const le = new Uint8Array(values.length * 2);
  const view = new DataView(le.buffer);
  for (let i = 0; i < values.length; i++) view.setUint16(i * 2, values[i]!, true);
  return toBase64(le);
}

export function decodeU16(text: string, count: number): Uint16Array | undefined {
  const b = fromBase64(text);
  if (!b || b.length !== count * 2) return undefined;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return Uint16Array.from({ length: count }, (_, i) => view.getUint16(i * 2, true));
}

/** `bits` payload (§4): flags, one bit each. */
export function encodeFlags(values: ArrayLike<number>): string {
  return toBase64(
    packBits(
      Array.from(values, (v) => (v ? 1 : 0)),
      1,
    ),
  );
}

export function decodeFlags(text: string, count: number): Uint8Array | undefined {
  const b = fromBase64(text);
  return b && unpackBits(b, 1, count);
}

/** A line set as `0-3,7,9-10` (§4). */
export function formatLineSet(indices: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < indices.length;) {
    let j = i;
    while (j + 1 < indices.length && indices[j + 1] === indices[j]! + 1) j++;
    parts.push(j > i ? `${indices[i]}-${indices[j]}` : `${indices[i]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** Parse a line set; undefined when malformed or a range runs backwards. */
export function parseLineSet(text: string): number[] | undefined {
  if (!/^\d+(?:-\d+)?(?:,\d+(?:-\d+)?)*$/.test(text)) return undefined;
  const out: number[] = [];
  for (const part of text.split(',')) {
    const [a, b] = part.split('-').map(Number) as [number, number | undefined];
    const end = b ?? a;
    if (end < a || end - a > 65535) return undefined;
    for (let v = a; v <= end; v++) out.push(v);
  }
  return out;
}

/** The `CONF` keys of §4 and the readout fields they set, in the order `CONF?` lists them. */
export const CONF_KEYS = {
  bits: 'precisionBits',
  vref: 'readV',
  vth: 'vthV',
  window: 'integrationWindowS',
  mode: 'mode',
  stop: 'ttfsStopFraction',
} as const satisfies Record<string, keyof ReadoutConfig>;
