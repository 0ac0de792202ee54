/** Text formatting for the plain (non-JSON) output: SI units and aligned label/value rows. */

const prefixes: [number, string][] = [
  [1e9, 'G'],
  [1e6, 'M'],
  [1e3, 'k'],
  [1, ''],
  [1e-3, 'm'],
  [1e-6, 'µ'],
  [1e-9, 'n'],
  [1e-12, 'p'],
];

/** `value` with an SI prefix and up to `digits` significant digits: `si(5e7, 'Hz')` → `50 MHz`. */
export function si(value: number, unit: string, digits = 3): string {
  if (value === 0 || !Number.isFinite(value)) return `${value} ${unit}`;
  const abs = Math.abs(value);
  const [scale, prefix] =
    prefixes.find(([s]) => abs >= s * 0.9995) ?? prefixes[prefixes.length - 1]!;
  return `${num(value / scale, digits)} ${prefix}${unit}`;
}

/** A plain number with up to `digits` significant digits and thousands separators. */
export function num(value: number, digits = 3): string {
  if (!Number.isFinite(value)) return String(value);
  const rounded = Number(value.toPrecision(digits));
  return rounded.toLocaleString('en-US', { maximumFractionDigits: 20 });
}

/** A range as `min–max unit`, each end with an SI prefix. */
export function siRange(range: { min: number; max: number }, unit: string): string {
  return range.min === range.max
    ? si(range.min, unit)
    : `${si(range.min, unit)} – ${si(range.max, unit)}`;
}

/** Rows of `[label, value]` with the values aligned in one column, each row indented. */
export function alignRows(rows: readonly (readonly [string, string])[], indent = ''): string {
  const width = Math.max(0, ...rows.map(([label]) => label.length));
  return rows
    .map(([label, value]) => `${indent}${label.padEnd(width)}  ${value}`.trimEnd())
    .join('\n');
}

/** A table: a header row, a rule, then rows; columns padded to their widest cell. */
export function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  rightAlign: readonly number[] = [],
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (rightAlign.includes(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
