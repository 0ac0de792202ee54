/** Typed arrays to and from SQLite BLOBs: the raw little-endian bytes, no copy on the way in. */

/** A typed array that can be stored as a BLOB. */
export type Blobbable = Float32Array | Float64Array | Uint8Array | Uint16Array | Int32Array;

/** The bytes of `a` as a Buffer sharing its memory. */
export function toBlob(a: Blobbable): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/** A copy of `blob` as a `Ctor` array (copied so the result is aligned and owned). */
export function fromBlob<T extends Blobbable>(
  blob: Uint8Array,
  Ctor: { new (buffer: ArrayBuffer): T; BYTES_PER_ELEMENT: number },
): T {
  const copy = new Uint8Array(blob.byteLength);
  copy.set(blob);
  return new Ctor(copy.buffer);
}
