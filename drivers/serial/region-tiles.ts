/**
 * Split a region into tiles of at most `maxCells` cells, row-major: whole rows together when
 * they fit (a 64×64 read is two requests, not 64), else segments of one row. Each tile knows
 * where its values go in the region's row-major array: tiles are whole rows or part of one
 * row, so a tile's row-major values are contiguous there (`array.set(values, tile.offset)`).
 */
import type { Region } from '../driver.ts';

/** A part of a region, and its place in the region's row-major data. */
export interface Tile extends Region {
  /** Index of the tile's first cell in the region's row-major array. */
  offset: number;
}

export function tiles(region: Region, maxCells: number, rowsPerTile = Infinity): Tile[] {
  const out: Tile[] = [];
  if (region.cols <= maxCells) {
    const per = Math.max(1, Math.min(rowsPerTile, Math.floor(maxCells / region.cols)));
    for (let r = 0; r < region.rows; r += per)
      out.push({
        row: region.row + r,
        col: region.col,
        rows: Math.min(per, region.rows - r),
        cols: region.cols,
        offset: r * region.cols,
      });
    return out;
  }
  for (let r = 0; r < region.rows; r++)
    for (let c = 0; c < region.cols; c += maxCells)
      out.push({
        row: region.row + r,
        col: region.col + c,
        rows: 1,
        cols: Math.min(maxCells, region.cols - c),
        offset: r * region.cols + c,
      });
  return out;
}
