/** Link health of a serial board: replies, retries, bad lines, reconnects, round trip, line budget. */
import { Box, Text } from 'ink';
import type { LinkCounters } from '../../drivers/driver.ts';
import { count, num } from '../cli/format.ts';

/** Props of LinkPanel. */
export interface LinkPanelProps {
  link?: LinkCounters;
  color: boolean;
  /** Characters across; below 90 the panel takes two lines. */
  width: number;
}

/** Lines the panel takes at `width` (0 without a link). */
export function linkPanelHeight(link: LinkCounters | undefined, width: number): number {
  return link ? (width < 90 ? 2 : 1) : 0;
}

/** The panel, or nothing without a link (the in-process emulator). */
export function LinkPanel({ link, color, width }: LinkPanelProps) {
  if (!link) return null;
  const trouble = link.retries + link.badLines + link.reconnects > 0;
  const counts = `replies ${count(link.replies)} · retries ${count(link.retries)} · bad lines ${count(link.badLines)} · reconnects ${count(link.reconnects)}`;
  const timing = `rtt ${num(link.rttMs)} ms · line budget ${count(link.lineBudget)} B`;
  const label = <Text color={color ? (trouble ? 'yellow' : 'green') : undefined}>link </Text>;
  return width < 90 ? (
    <Box flexDirection="column">
      <Text wrap="truncate">
        {label}
        {counts}
      </Text>
      <Text wrap="truncate">{`     ${timing}`}</Text>
    </Box>
  ) : (
    <Text wrap="truncate">
      {label}
      {`${counts} · ${timing}`}
    </Text>
  );
}
