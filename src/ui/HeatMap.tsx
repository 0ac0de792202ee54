/**
 * The heat-map panel: the region being worked on, downsampled to the space given, two map
 * pixels per character (upper and lower half-block in two colours), a colour scale with its
 * legend in µS, and which view it shows (target, measured, error: cycled with `v`). Without
 * colour one shade glyph per character.
 */
import { Box, Text } from 'ink';
import { memo } from 'react';
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
  /** The canvas's `version` when drawn (the canvas itself is mutated in place). */
  canvasVersion?: number;
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

/** `#rrggbb` as a 24-bit SGR colour: foreground (38) or background (48). */
function sgr(hex: string, layer: 38 | 48): string {
  const n = parseInt(hex.slice(1), 16);
  return `\x1b[${layer};2;${(n >> 16) & 255};${(n >> 8) & 255};${n & 255}m`;
}

/**
 * One map line as a single pre-coloured string (24-bit colour escapes, colour changes only
 * where the colour does): one text node per line keeps a frame cheap to lay out and draw.
 */
function colourLine(
  top: number[],
  bottom: (number | undefined)[],
  scale: readonly string[],
): string {
  let out = '';
  let fg = -2;
  let bg = -2;
  for (let x = 0; x < top.length; x++) {
    const t = top[x]!;
    const b = bottom[x] ?? -1;
    const [ch, f, g] = t >= 0 ? ['▀', t, b] : b >= 0 ? ['▄', b, -1] : [' ', -1, -1];
    if (f !== fg || g !== bg) {
      out += '\x1b[0m';
      if (f >= 0) out += sgr(scale[f]!, 38);
      if (g >= 0) out += sgr(scale[g]!, 48);
      fg = f;
      bg = g;
    }
    out += ch;
  }
  return `${out}\x1b[0m`;
}

/**
 * The heat-map with title and legend. Memoised on the canvas's version: a frame that only moves
 * the clock does not redraw the map (drawing costs the acquisition thread time).
 */
export const HeatMap = memo(
  HeatMapFrame,
  (a, b) =>
    a.canvas === b.canvas &&
    a.canvasVersion === b.canvasVersion &&
    a.view === b.view &&
    a.width === b.width &&
    a.height === b.height &&
    a.color === b.color,
);

function HeatMapFrame({ canvas, view, width, height, color }: HeatMapProps) {
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
  const lines: string[] = [];
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
      lines.push(text);
    }
  }
  const unit = (v: number) => `${v > 0 && view === 'error' ? '+' : ''}${v} µS`;
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate" dimColor>
        {title}
      </Text>
      {lines.map((line, i) => (
        <Text key={i}>{line}</Text>
      ))}
      <Text wrap="truncate">
        {`${unit(lo)} `}
        {color ? `${scale.map((c) => `${sgr(c, 38)}█`).join('')}\x1b[0m` : SHADES.join('')}
        {` ${unit(hi)}`}
      </Text>
    </Box>
  );
}
