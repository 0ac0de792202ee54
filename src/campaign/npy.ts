/**
 * A small reader and writer of NumPy `.npy` files (format versions 1.0, 2.0 and 3.0): C-order,
 * little-endian arrays of float32, float64, uint8, uint16 and int32 — what rram-bench exports
 * and what `np.save` writes for weights. Anything else (Fortran order, big-endian, object
 * arrays, other dtypes) is refused with INVALID_ARGUMENT naming the file and the reason.
 * Format: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
 */
import { readFileSync } from 'node:fs';
import { BenchError } from '../../drivers/driver.ts';

const MAGIC = '\x93NUMPY';

/** The element types this reader knows, by numpy `descr`. */
const DTYPES = {
  '<f4': Float32Array,
  '<f8': Float64Array,
  '|u1': Uint8Array,
  '<u2': Uint16Array,
  '<i4': Int32Array,
} as const;

/** A numpy dtype this module reads and writes. */
export type NpyDtype = keyof typeof DTYPES;

/** The data of one of the supported dtypes. */
export type NpyData = Float32Array | Float64Array | Uint8Array | Uint16Array | Int32Array;

/** A parsed array. */
export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  data: NpyData;
}

function fail(file: string, why: string): never {
  throw new BenchError('INVALID_ARGUMENT', `${file}: not a readable .npy array: ${why}`, { file });
}

/**
 * Read and parse the `.npy` file at `file`, keeping its bytes (for a digest). A file that cannot
 * be read is INVALID_ARGUMENT: "cannot read <what> <file>: <reason>".
 */
export function readNpyFile(file: string, what?: string): { array: NpyArray; bytes: Buffer } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new BenchError(
      'INVALID_ARGUMENT',
      `cannot read ${what ? `${what} ` : ''}${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      { file },
    );
  }
  return { array: parseNpy(bytes, file), bytes };
}

/** Parse the bytes of a `.npy` file; `file` names it in errors. */
export function parseNpy(bytes: Uint8Array, file: string): NpyArray {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 10 || buf.toString('latin1', 0, 6) !== MAGIC) fail(file, 'no NUMPY magic');
  const major = buf[6]!;
  if (major < 1 || major > 3) fail(file, `format version ${major}.${buf[7]} is not supported`);
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  if (start + headerLen > buf.length) fail(file, 'truncated header');
  const header = buf.toString(major === 3 ? 'utf8' : 'latin1', start, start + headerLen);
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined)
    fail(file, `unparsable header ${JSON.stringify(header.trim())}`);
  if (fortran === 'True') fail(file, 'Fortran-order arrays are not supported (save with C order)');
  const dtype = (descr === '<u1' ? '|u1' : descr) as NpyDtype;
  const Ctor = DTYPES[dtype];
  if (!Ctor)
    fail(file, `dtype '${descr}' is not supported (supported: ${Object.keys(DTYPES).join(', ')})`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) fail(file, `bad shape (${shapeText})`);
  const count = shape.reduce((a, b) => a * b, 1);
  const offset = start + headerLen;
  const byteLength = count * Ctor.BYTES_PER_ELEMENT;
  if (buf.length - offset !== byteLength)
    fail(
      file,
      `shape (${shape.join(', ')}) needs ${byteLength} data bytes, the file holds ${buf.length - offset}`,
    );
  const copy = new Uint8Array(byteLength);
  copy.set(buf.subarray(offset, offset + byteLength));
  return { dtype, shape, data: new Ctor(copy.buffer) };
}

/** The bytes of a `.npy` file (format 1.0) holding `data` with `shape`. */
export function formatNpy(data: NpyData, shape: readonly number[]): Buffer {
  const dtype = (Object.keys(DTYPES) as NpyDtype[]).find((k) => data instanceof DTYPES[k]);
  if (!dtype) throw new BenchError('INVALID_ARGUMENT', 'cannot write this array type as .npy');
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length)
    throw new BenchError(
      'INVALID_ARGUMENT',
      `shape (${shape.join(', ')}) does not hold ${data.length} values`,
    );
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${dtype}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // Pad with spaces so magic + length + header + newline is a multiple of 64 bytes.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const head = Buffer.alloc(10);
  head.write(MAGIC, 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  return Buffer.concat([
    head,
    Buffer.from(header, 'latin1'),
    Buffer.from(data.buffer, data.byteOffset, data.byteLength),
  ]);
}
