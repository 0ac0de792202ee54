/**
 * A conductance grid as a small palette PNG (one byte per cell, 255 colours of a Vega colour
 * scheme plus one transparent entry for cells without data), for a Vega-Lite `image` mark.
 * 65,536 cells as one image keep the report small and fast where 65,536 `rect` marks would not,
 * and at full resolution: no block averaging hides a single bad cell.
 */
import { crc32, deflateSync } from 'node:zlib';

/** Colours in the palette; index PALETTE_SIZE is transparent (no data). */
export const PALETTE_SIZE = 255;

/** A colour interpolator over [0, 1] returning a CSS colour (`rgb(r, g, b)` or `#rrggbb`). */
export type Interpolator = (t: number) => string;

/** Parse `rgb(r, g, b)` or `#rrggbb` to bytes. */
export function parseColour(css: string): [number, number, number] {
  const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(css);
  if (hex) return [parseInt(hex[1]!, 16), parseInt(hex[2]!, 16), parseInt(hex[3]!, 16)];
  const rgb = /^rgba?\(\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*([\d.]+)/i.exec(css);
  if (rgb)
    return [Number(rgb[1]), Number(rgb[2]), Number(rgb[3])].map(Math.round) as [
      number,
      number,
      number,
    ];
  throw new RangeError(`cannot parse colour ${css}`);
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/**
 * PNG (colour type 3, 8-bit palette) of `values` (`rows × cols`, row-major), coloured by
 * `interpolate((v − domain[0]) / (domain[1] − domain[0]))`, clamped; NaN is transparent.
 */
export function heatmapPng(
  values: ArrayLike<number>,
  rows: number,
  cols: number,
  domain: readonly [number, number],
  interpolate: Interpolator,
): Buffer {
  const [lo, hi] = domain;
  const span = hi - lo || 1;
  const palette = new Uint8Array(3 * (PALETTE_SIZE + 1));
  for (let i = 0; i < PALETTE_SIZE; i++)
    palette.set(parseColour(interpolate(i / (PALETTE_SIZE - 1))), 3 * i);
  const alpha = new Uint8Array(PALETTE_SIZE + 1).fill(255);
  alpha[PALETTE_SIZE] = 0;
  const raw = new Uint8Array(rows * (cols + 1));
  for (let r = 0; r < rows; r++) {
    raw[r * (cols + 1)] = 0; // filter: none
    for (let c = 0; c < cols; c++) {
      const v = values[r * cols + c]!;
      const t = Math.min(1, Math.max(0, (v - lo) / span));
      raw[r * (cols + 1) + 1 + c] = Number.isFinite(v)
        ? Math.round(t * (PALETTE_SIZE - 1))
        : PALETTE_SIZE;
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(cols, 0);
  header.writeUInt32BE(rows, 4);
  header.set([8, 3, 0, 0, 0], 8); // 8-bit, palette, deflate, adaptive filtering, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('PLTE', palette),
    chunk('tRNS', alpha),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', new Uint8Array(0)),
  ]);
}
