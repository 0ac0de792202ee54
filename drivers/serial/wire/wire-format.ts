/**
 * Host-side meaning of reply values (§4): readout configuration, and the packed payloads of
 * READ, FORM, PROG and MVM replies. A well-framed reply whose value does not parse is a board
 * bug, reported as PROTOCOL naming the verb.
 */
import type { ReadoutConfig } from '../../driver.ts';
import { BenchError } from '../../driver.ts';
import { CONF_KEYS, decodeF32, decodeFlags, decodeU16, fromBase64, unpackBits } from './codec.ts';

const KEYS: Record<string, keyof ReadoutConfig> = CONF_KEYS;

/** `CONF` arguments for the fields present in `change` (§4), e.g. `['bits=4', 'vref=0.2']`. */
export function confArgs(change: Partial<ReadoutConfig>): string[] {
  const out: string[] = [];
  for (const [key, field] of Object.entries(KEYS)) {
    const v = change[field];
    if (v !== undefined) out.push(`${key}=${String(v)}`);
  }
  return out;
}

/** Parse a `CONF?`/`CONF` reply value. */
export function parseConf(port: string, text: string): ReadoutConfig {
  const c: Partial<Record<keyof ReadoutConfig, unknown>> = {};
  for (const word of text.split(' ')) {
    const [key, value] = word.split('=');
    const field = key === undefined ? undefined : KEYS[key];
    if (field === undefined || value === undefined) continue;
    c[field] = field === 'mode' ? value : Number(value);
  }
  const numbers = [
    'precisionBits',
    'readV',
    'vthV',
    'integrationWindowS',
    'ttfsStopFraction',
  ] as const;
  if (numbers.some((f) => !Number.isFinite(c[f])) || (c.mode !== 'COUNT' && c.mode !== 'TTFS'))
    throw malformed(port, 'CONF?', text);
  return c as ReadoutConfig;
}

/** Split a reply value into exactly `n` words. */
export function words(port: string, verb: string, text: string, n: number): string[] {
  const w = text.split(' ');
  if (w.length !== n) throw malformed(port, verb, text);
  return w;
}

/** A finite number, or PROTOCOL. */
export function num(port: string, verb: string, text: string): number {
  const v = Number(text);
  if (text === '' || !Number.isFinite(v)) throw malformed(port, verb, text);
  return v;
}

/** Decode or throw PROTOCOL. */
export function need<T>(port: string, verb: string, value: T | undefined, text: string): T {
  if (value === undefined) throw malformed(port, verb, text);
  return value;
}

export const payload = {
  f32: decodeF32,
  u16: decodeU16,
  flags: decodeFlags,
  /** `pN` values (§4). */
  packed(text: string, bits: number, count: number): Uint8Array | undefined {
    const b = fromBase64(text);
    return b && unpackBits(b, bits, count);
  },
};

export function malformed(port: string, verb: string, text: string): BenchError {
  const shown = text.length > 80 ? `${text.slice(0, 80)}…` : text;
  return new BenchError(
    'PROTOCOL',
    `board on ${port} answered ${verb} with a malformed value "${shown}"`,
    {
      port,
      verb,
    },
  );
}

/** Largest MVM staging buffer a board keeps per slot, inputs or values (bytes; §4 STAGE). */
export const MAX_STAGE_BYTES = 65536;
