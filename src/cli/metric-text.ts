/** A metric as text with its unit (shared by `runs show` and the dashboard). */
import { duration, num, si } from './format.ts';

/** The parts of a metric it is printed from. */
export interface MetricLike {
  name: string;
  value: number;
  /** `fraction`, `µS`, `J`, `s`, `pulses`, … or empty. */
  unit: string;
}

/** `accuracy.final 98.7%`, `error_rms_micro_s 0.42 µS`. */
export function metricText(m: MetricLike): string {
  const pct =
    m.unit === 'fraction' || (m.unit === '' && /accuracy|fraction|relative|spread/.test(m.name));
  const value = pct
    ? `${num(m.value * 100)}%`
    : m.unit === 'J' || m.unit === 'W'
      ? si(m.value, m.unit)
      : m.unit === 's'
        ? duration(m.value)
        : `${num(m.value)}${m.unit ? ` ${m.unit}` : ''}`;
  return `${m.name} ${value}`;
}
