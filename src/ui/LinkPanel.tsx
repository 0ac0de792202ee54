/** Link health of a serial board: replies, retries, bad lines, reconnects, round trip, line budget. */
import { Text } from 'ink';
import type { LinkCounters } from '../../drivers/driver.ts';
import { count, num } from '../cli/format.ts';

/** Props of LinkPanel. */
export interface LinkPanelProps {
  link?: LinkCounters;
  color: boolean;
}

/** One line, or nothing without a link (the in-process emulator). */
export function LinkPanel({ link, color }: LinkPanelProps) {
  if (!link) return null;
  const trouble = link.retries + link.badLines + link.reconnects > 0;
  return (
    <Text wrap="truncate">
      <Text color={color ? (trouble ? 'yellow' : 'green') : undefined}>link </Text>
      {`replies ${count(link.replies)} · retries ${count(link.retries)} · bad lines ${count(link.badLines)} · reconnects ${count(link.reconnects)} · rtt ${num(link.rttMs)} ms · budget ${count(link.lineBudget)} B`}
    </Text>
  );
}
