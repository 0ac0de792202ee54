/** The programming-error histogram: one bar per bin over ±2 µS, the cells, in-tolerance share and rms. */
import { Box, Text } from 'ink';
import { memo } from 'react';
import { count, num } from '../cli/format.ts';
import type { ErrorHistogram } from './error-histogram.ts';
import { BINS } from './error-histogram.ts';
import { DIVERGING, level } from './palette.ts';
import { sparkline } from './sparkline.ts';

/** Props of ErrorHistogramView. */
export interface ErrorHistogramViewProps {
  errors?: ErrorHistogram;
  width: number;
  color: boolean;
  /** `errors.total` when drawn (the histogram is mutated in place). */
  total?: number;
}

/** The histogram, or nothing before any cell was programmed; redrawn only when cells are added. */
export const ErrorHistogramView = memo(
  ErrorHistogramFrame,
  (a, b) =>
    a.errors === b.errors && a.total === b.total && a.width === b.width && a.color === b.color,
);

function ErrorHistogramFrame({ errors, width, color }: ErrorHistogramViewProps) {
  if (!errors || errors.total === 0) return null;
  const max = Math.max(...errors.counts);
  const bars = sparkline(errors.counts, 0, max);
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate">
        {[...bars].map((b, i) => (
          <Text
            key={i}
            color={color ? DIVERGING[level(i, 0, BINS - 1, DIVERGING.length)] : undefined}
          >
            {b}
          </Text>
        ))}
        <Text dimColor>{` ${count(errors.total)} cells`}</Text>
      </Text>
      <Text wrap="truncate" dimColor>
        {`${num(errors.inTolerance * 100)}% in ±1 µS · rms ${num(errors.rmsMicroS)} µS`}
      </Text>
    </Box>
  );
}
