/**
 * The heat-map panel: the region being worked on, downsampled to the space given, two map
 * pixels per character (upper and lower half-block in two colours), a colour scale with its
 * legend in µS, and which view it shows (target, measured, error: cycled with `v`). Without
 * colour one shade glyph per character.
 */
import { Box, Text } from 'ink';
import type { HeatCanvas, HeatView } from './heat-canvas.ts';
import { resample } from './heat-canvas.ts';
import { DIVERGING, SEQUENTIAL, SHADES, level } from './palette.ts';
import { RANGE_MICRO_S } from './error-histogram.ts';

/** Props of HeatMap. */
export interface HeatMapProps {
  canvas?: HeatCanvas;
  view: HeatView;
  /** Characters across (≥ 4). */
  width: number;
  /** Lines of map (≥ 1), besides the title and legend lines. */
  height: number;
  color: boolean;
}

/** The scale of a view: conductances from 0 to at least 40 µS, errors over ±2 µS. */
export function scaleOf(view: HeatView, values: Float32Array): { lo: number; hi: number } {
  if (view === 'error') return { lo: -RANGE_MICRO_S, hi: RANGE_MICRO_S };
  let max = 40;
  for (const v of values) if (v > max) max = v;
  return { lo: 0, hi: Math.ceil(max) };
}

/** Output size for a region: keep cells roughly square, stretching across at most 4×. */
export function fitSize(
  rows: number,
  cols: number,
  width: number,
  lines: number,
): { w: number; h: number } {
  const sy = Math.min((2 * lines) / rows, width / cols);
  const sx = Math.min(width / cols, sy * 4);
  return {
    w: Math.max(1, Math.min(width, Math.round(cols * sx))),
    h: Math.max(1, Math.min(2 * lines, Math.round(rows * sy))),
  };
}

interface Run {
  text: string;
  fg?: string;
  bg?: string;
}

/** One map line as runs of equal colours (fewer Text nodes to draw). */
function colourLine(
  top: number[],
  bottom: (number | undefined)[],
  scale: readonly string[],
): Run[] {
  const runs: Run[] = [];
  for (let x = 0; x < top.length; x++) {
    const t = top[x]!;
    const b = bottom[x];
    let cell: Run;
    if (t >= 0 && b !== undefined && b >= 0) cell = { text: '▀', fg: scale[t], bg: scale[b] };
    else if (t >= 0) cell = { text: '▀', fg: scale[t] };
    else if (b !== undefined && b >= 0) cell = { text: '▄', fg: scale[b] };
    else cell = { text: ' ' };
    const last = runs.at(-1);
    if (last && last.fg === cell.fg && last.bg === cell.bg) last.text += cell.text;
    else runs.push(cell);
  }
  return runs;
}

/** The heat-map with title and legend. */
export function HeatMap({ canvas, view, width, height, color }: HeatMapProps) {
  if (!canvas)
    return (
      <Box flexDirection="column" width={width}>
        <Text dimColor>map: nothing measured yet</Text>
      </Box>
    );
  const { region } = canvas;
  const values = canvas.values(view);
  const { lo, hi } = scaleOf(view, values);
  const { w, h } = fitSize(region.rows, region.cols, width, height);
  const scale = view === 'error' ? DIVERGING : SEQUENTIAL;
  const title = `${view}${view === 'error' ? ' (measured − target)' : ''} · rows ${region.row}–${region.row + region.rows - 1} × cols ${region.col}–${region.col + region.cols - 1}`;
  const lines: Run[][] = [];
  if (color) {
    const px = resample(values, region.rows, region.cols, h, w);
    const lv = (v: number) => (Number.isFinite(v) ? level(v, lo, hi, scale.length) : -1);
    for (let y = 0; y < h; y += 2) {
      const top = Array.from(px.subarray(y * w, (y + 1) * w), lv);
      const bottom =
        y + 1 < h ? Array.from(px.subarray((y + 1) * w, (y + 2) * w), lv) : new Array<undefined>(w);
      lines.push(colourLine(top, bottom, scale));
    }
  } else {
    const hl = Math.ceil(h / 2);
    const px = resample(values, region.rows, region.cols, hl, w);
    for (let y = 0; y < hl; y++) {
      let text = '';
      for (let x = 0; x < w; x++) {
        const v = px[y * w + x]!;
        text += Number.isFinite(v) ? SHADES[level(v, lo, hi, SHADES.length)] : '·';
      }
      lines.push([{ text }]);
    }
  }
  const unit = (v: number) => `${v > 0 && view === 'error' ? '+' : ''}${v} µS`;
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate" dimColor>
        {title}
      </Text>
      {lines.map((runs, i) => (
        <Text key={i}>
          {runs.map((r, j) => (
            <Text key={j} color={r.fg} backgroundColor={r.bg}>
              {r.text}
            </Text>
          ))}
        </Text>
      ))}
      <Text wrap="truncate">
        {`${unit(lo)} `}
        {color ? (
          scale.map((c, i) => (
            <Text key={i} color={c}>
              █
            </Text>
          ))
        ) : (
          <Text>{SHADES.join('')}</Text>
        )}
        {` ${unit(hi)}`}
      </Text>
    </Box>
  );
}
