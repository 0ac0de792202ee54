/**
 * Split a region into tiles of at most `maxCells` cells, row-major: whole rows together when
 * they fit (a 64×64 read is two requests, not 64), else segments of one row. Each tile knows
 * where its values go in the region's row-major array: tiles are whole rows or part of one
 * row, so a tile's row-major values are contiguous there (`array.set(values, tile.offset)`).
 *
 * `nextTile` makes the tiles one at a time, so that each may be sized with the line budget of
 * the moment it is sent (§5.9); with the same `maxCells` throughout it gives exactly `tiles`.
 */
import type { Region } from '../../driver.ts';

/** A part of a region, and its place in the region's row-major data. */
export interface Tile extends Region {
  /** Index of the tile's first cell in the region's row-major array. */
  offset: number;
}

/**
 * The tile that starts at row-major index `offset` of the region, or undefined past its end.
 * At the start of a row whole rows are taken when one fits `maxCells` (at most `rowsPerTile`
 * of them); otherwise — or in the middle of a row, where an earlier, smaller tile ended — the
 * tile is the rest of that row, up to `maxCells` cells.
 */
export function nextTile(
  region: Region,
  offset: number,
  maxCells: number,
  rowsPerTile = Infinity,
): Tile | undefined {
  if (offset >= region.rows * region.cols) return undefined;
  const max = Math.max(1, Math.floor(maxCells));
  const r = Math.floor(offset / region.cols);
  const c = offset - r * region.cols;
  if (c === 0 && region.cols <= max) {
    const per = Math.max(1, Math.min(rowsPerTile, Math.floor(max / region.cols)));
    return {
      row: region.row + r,
      col: region.col,
      rows: Math.min(per, region.rows - r),
      cols: region.cols,
      offset,
    };
  }
  return {
    row: region.row + r,
    col: region.col + c,
    rows: 1,
    cols: Math.min(max, region.cols - c),
    offset,
  };
}

/** All tiles of a region at a fixed `maxCells`. */
export function tiles(region: Region, maxCells: number, rowsPerTile = Infinity): Tile[] {
  const out: Tile[] = [];
  for (
    let t = nextTile(region, 0, maxCells, rowsPerTile);
    t;
    t = nextTile(region, t.offset + t.rows * t.cols, maxCells, rowsPerTile)
  )
    out.push(t);
  return out;
}
