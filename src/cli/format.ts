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

/** An exact count with thousands separators: `count(65536)` → `65,536`. */
export function count(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : String(n);
}

/** `n` and the noun, singular or plural: `plural(1, 'file')` → `1 file`, `plural(3, 'unit')` → `3 units`. */
export function plural(n: number, noun: string, nouns = `${noun}s`): string {
  return `${count(n)} ${n === 1 ? noun : nouns}`;
}

/**
 * A duration a person reads at a glance: `160 ns`, `12.5 ms`, `4.2 s`, `17 min`, `2 h 05 min`,
 * `3 d 4 h`. Below a minute SI prefixes; from a minute on, minutes, hours and days.
 */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return String(seconds);
  if (seconds < 0) return `−${duration(-seconds)}`;
  if (seconds === 0) return '0 s';
  if (seconds < 59.95) return si(seconds, 's');
  const m = Math.round(seconds / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h} h ${String(m % 60).padStart(2, '0')} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** A clock-style elapsed time for live displays: `0:07`, `12:34`, `1:02:03`. */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return hh > 0 ? `${hh}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

/**
 * A summary or metric value with its unit, read from the key's suffix: `energyJ` → `8.17 nJ`,
 * `chipTimeS` → `17 min`, `errorRmsMicroS` → `0.42 µS`, `convergedFraction` → `99.1%`, an
 * integer count exactly (`cells` → `65,536`), anything else to 3 significant digits.
 */
export function quantity(key: string, value: unknown): string {
  if (typeof value !== 'number') return typeof value === 'string' ? value : JSON.stringify(value);
  if (/MicroS$|_micro_s$/.test(key)) return `${num(value)} µS`;
  if (/(^|[a-z])J$|_j$/.test(key)) return si(value, 'J');
  if (/[a-z]S$|_s$|Seconds$/.test(key)) return duration(value);
  if (/[a-z]V$|_v$/.test(key)) return si(value, 'V');
  if (/Ms$|_ms$/.test(key)) return duration(value / 1000);
  if (/(Fraction|accuracy|Accuracy|Relative|Spread)$|fraction$|^accuracy/.test(key))
    return `${num(value * 100)}%`;
  if (Number.isInteger(value)) return count(value);
  return num(value);
}
