/**
 * Saving and loading an emulated chip, so it keeps its conductances between runs as a real one
 * does. The file is gzip-compressed JSON; typed arrays are stored as base64 of their bytes
 * (little-endian, as on every platform Node runs on). Writes go to a temporary file that is
 * renamed into place, so a crash mid-save leaves the previous state intact.
 */
import { readFileSync, renameSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { BenchError } from '../driver.ts';

/** Format tag and version written into every state file. */
export const STATE_FORMAT = 'rram-bench-chip-state';
export const STATE_VERSION = 1;

const TYPED = {
  Float32Array,
  Float64Array,
  Uint8Array,
  Uint16Array,
  Uint32Array,
  Int8Array,
  Int16Array,
  Int32Array,
} as const;
type TypedName = keyof typeof TYPED;

function encode(_key: string, value: unknown): unknown {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const name = value.constructor.name as TypedName;
    if (!(name in TYPED)) throw new Error(`cannot save a ${name}`);
    const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    return { $typed: name, base64: bytes.toString('base64') };
  }
  return value;
}

function decode(_key: string, value: unknown): unknown {
  if (value && typeof value === 'object' && '$typed' in value) {
    const { $typed, base64 } = value as { $typed: string; base64: string };
    const Ctor = TYPED[$typed as TypedName];
    if (!Ctor) throw new Error(`unknown array type ${$typed}`);
    const bytes = Buffer.from(base64, 'base64');
    const copy = new Uint8Array(bytes.byteLength);
    copy.set(bytes);
    return new Ctor(copy.buffer, 0, bytes.byteLength / Ctor.BYTES_PER_ELEMENT);
  }
  return value;
}

/** Write `state` to `path` atomically. */
export function saveState(path: string, state: object): void {
  const body = JSON.stringify({ format: STATE_FORMAT, version: STATE_VERSION, state }, encode);
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(tmp, gzipSync(body, { level: 6 }));
    renameSync(tmp, path);
  } catch (e) {
    throw new BenchError('IO', `cannot save chip state to ${path}: ${(e as Error).message}`, {
      path,
    });
  }
}

/** Read a state written by `saveState`; undefined when the file does not exist. */
export function loadState(path: string): unknown {
  if (!existsSync(path)) return undefined;
  let parsed: { format?: unknown; version?: unknown; state?: unknown };
  try {
    parsed = JSON.parse(gunzipSync(readFileSync(path)).toString('utf8'), decode) as typeof parsed;
  } catch (e) {
    throw new BenchError(
      'STATE_INVALID',
      `${path} is not a chip state file: ${(e as Error).message}`,
      { path },
    );
  }
  if (parsed.format !== STATE_FORMAT)
    throw new BenchError(
      'STATE_INVALID',
      `${path} is not a chip state file (format ${String(parsed.format)})`,
      {
        path,
      },
    );
  if (parsed.version !== STATE_VERSION)
    throw new BenchError(
      'STATE_INVALID',
      `${path} has chip state version ${String(parsed.version)}; this rram-bench reads version ${STATE_VERSION}`,
      { path, version: parsed.version },
    );
  return parsed.state;
}
