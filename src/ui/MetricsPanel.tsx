/**
 * Metrics as they arrive (σ, in-tolerance, accuracies …), latest value of each, and the closed
 * loop's `accuracy.<stage>` values with a sparkline across its rounds.
 */
import { Box, Text } from 'ink';
import { num } from '../cli/format.ts';
import { metricText } from '../cli/metric-text.ts';
import type { JobState } from './job-state.ts';
import { sparkline } from './sparkline.ts';

/** Props of MetricsPanel. */
export interface MetricsPanelProps {
  state: Pick<JobState, 'metrics' | 'accuracy'>;
  width: number;
  /** Most lines to use. */
  height: number;
}

export function MetricsPanel({ state, width, height }: MetricsPanelProps) {
  if (state.metrics.length === 0 && state.accuracy.length === 0) return null;
  const lines: string[] = [];
  if (state.accuracy.length > 0) {
    const acc = state.accuracy;
    const last = acc.at(-1)!;
    lines.push(
      `accuracy ${sparkline(
        acc.map((a) => a.value),
        0,
        1,
      )} ${acc.map((a) => `${a.stage} ${num(a.value * 100)}%`).join(' → ')}`.slice(0, width) ||
        `accuracy ${last.stage}`,
    );
  }
  // Pack the other metrics into lines of the width, newest last.
  let line = '';
  const packed: string[] = [];
  for (const m of state.metrics.filter((x) => !x.name.startsWith('accuracy.'))) {
    const t = metricText(m);
    if (line && line.length + 3 + t.length > width) {
      packed.push(line);
      line = t;
    } else line = line ? `${line} · ${t}` : t;
  }
  if (line) packed.push(line);
  lines.push(...packed.slice(-Math.max(0, height - lines.length)));
  return (
    <Box flexDirection="column" width={width}>
      {lines.slice(0, height).map((l, i) => (
        <Text key={i} wrap="truncate">
          {l}
        </Text>
      ))}
    </Box>
  );
}
