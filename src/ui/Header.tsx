/** The dashboard's header: title, run, campaign, chip, connection; elapsed, ETA and state. */
import { Box, Text } from 'ink';
import { clock } from '../cli/format.ts';
import { jobEtaS } from './eta.ts';
import type { JobState } from './job-state.ts';

/** Props of Header. */
export interface HeaderProps {
  state: JobState;
  now: number;
  color: boolean;
}

/** What the job is doing, in one word or two. */
function stateText(s: JobState): string {
  if (s.outcome) return s.outcome;
  if (s.paused) return 'paused';
  if (s.pausing) return 'pausing…';
  if (s.steps.some((x) => x.status === 'running')) return 'running';
  return 'starting';
}

export function Header({ state, now, color }: HeaderProps) {
  const h = state.header;
  const who = h
    ? [h.run && `run ${h.run}`, h.chip, h.connection].filter(Boolean).join(' · ')
    : (state.subtitle ?? '');
  const end = state.endedAt ?? now;
  const elapsed = state.startedAt !== undefined ? clock((end - state.startedAt) / 1000) : '0:00';
  const eta = jobEtaS(state, now);
  const st = stateText(state);
  const stColor = !color
    ? undefined
    : st === 'completed' || st === 'running'
      ? 'green'
      : st === 'paused' || st === 'pausing…'
        ? 'yellow'
        : st === 'starting'
          ? undefined
          : 'red';
  return (
    <Box flexDirection="column">
      <Text wrap="truncate">
        <Text bold>{state.title || 'rram-bench'}</Text>
        <Text dimColor>{who ? `  ${who}` : ''}</Text>
      </Text>
      <Text wrap="truncate">
        <Text color={stColor} bold>
          {st}
        </Text>
        <Text>{`  elapsed ${elapsed}`}</Text>
        <Text>
          {state.outcome ? '' : `  ETA ${eta !== undefined ? `≈ ${clock(Math.ceil(eta))}` : '…'}`}
        </Text>
      </Text>
    </Box>
  );
}
