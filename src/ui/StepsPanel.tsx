/**
 * The steps with state and duration (pauses excluded), and under the running one its bar with
 * the fraction done, rate (cells/s, MVM/s) and time left — or, during a wait, the wait's own bar
 * and countdown.
 */
import { Box, Text } from 'ink';
import { clock, duration, num } from '../cli/format.ts';
import { stepEtaS, stepFraction, stepRates, waitLeftS } from './eta.ts';
import type { StepView } from './job-state.ts';
import { stepActiveMs } from './job-state.ts';
import { progressBar } from './progress-bar.ts';

const GLYPH = { pending: '·', running: '▶', done: '✔', failed: '✖' } as const;
const COLOR = { pending: 'gray', running: 'cyan', done: 'green', failed: 'red' } as const;

/** Props of StepsPanel. */
export interface StepsPanelProps {
  steps: readonly StepView[];
  now: number;
  width: number;
  /** Most lines to use. */
  height: number;
  color: boolean;
}

/** `1,234 cells/s · 5,600 MVM/s`, whichever the step does. */
function rateText(s: StepView, now: number): string {
  const r = stepRates(s, now);
  const parts: string[] = [];
  if (s.cells > 0) parts.push(`${num(r.cellsPerS)} cells/s`);
  if (s.mvms > 0) parts.push(`${num(r.mvmPerS)} MVM/s`);
  return parts.join(' · ');
}

function RunningBar({
  s,
  now,
  width,
  color,
}: {
  s: StepView;
  now: number;
  width: number;
  color: boolean;
}) {
  const barWidth = Math.max(8, Math.min(24, width - 34));
  if (s.wait) {
    const left = waitLeftS(s, now);
    const f = s.wait.seconds > 0 ? 1 - left / s.wait.seconds : 1;
    return (
      <Text wrap="truncate">
        {'  '}
        <Text color={color ? 'yellow' : undefined}>{progressBar(f, 1, barWidth)}</Text>
        <Text>{`  waiting ${duration(s.wait.seconds)}: ${clock(Math.ceil(left))} left`}</Text>
      </Text>
    );
  }
  const f = stepFraction(s);
  const eta = stepEtaS(s, now);
  const rate = rateText(s, now);
  const units = s.units && s.units > 1 ? `${s.unitsDone ?? 0}/${s.units}` : '';
  return (
    <Text wrap="truncate">
      {'  '}
      <Text color={color ? 'cyan' : undefined}>{progressBar(f, 1, barWidth)}</Text>
      <Text dimColor>
        {[units, rate, eta !== undefined ? `ETA ${clock(Math.ceil(eta))}` : '']
          .filter(Boolean)
          .map((x) => `  ${x}`)
          .join('')}
      </Text>
    </Text>
  );
}

/** Steps, windowed around the running one when they do not all fit. */
export function StepsPanel({ steps, now, width, height, color }: StepsPanelProps) {
  const running = steps.findIndex((s) => s.status === 'running');
  const extra = running >= 0 ? (steps[running]!.detail ? 2 : 1) : 0;
  const room = Math.max(1, height - extra);
  const first = Math.max(
    0,
    Math.min(steps.length - room, (running >= 0 ? running : steps.length) - Math.floor(room / 2)),
  );
  const shown = steps.slice(first, first + room);
  const nameWidth = Math.min(
    Math.max(8, ...steps.map((s) => s.name.length + 1)),
    Math.max(8, Math.floor(width / 2)),
  );
  const numWidth = String(steps.length).length;
  return (
    <Box flexDirection="column" width={width}>
      {shown.map((s, k) => {
        const i = first + k;
        const ms = s.status === 'pending' ? undefined : stepActiveMs(s, now);
        const time =
          ms !== undefined && (s.status !== 'done' || s.ms !== undefined)
            ? duration(ms / 1000)
            : '';
        return (
          <Box key={i} flexDirection="column">
            <Text wrap="truncate">
              <Text color={color ? COLOR[s.status] : undefined}>{`${GLYPH[s.status]} `}</Text>
              <Text dimColor>{`${String(i + 1).padStart(numWidth)} `}</Text>
              <Text bold={s.status === 'running'}>
                {s.name.slice(0, nameWidth - 1).padEnd(nameWidth)}
              </Text>
              <Text dimColor>{`${time.padStart(7)}  ${s.summary ?? ''}`}</Text>
            </Text>
            {s.status === 'running' ? (
              <>
                <RunningBar s={s} now={now} width={width} color={color} />
                {s.detail ? <Text wrap="truncate" dimColor>{`    ${s.detail}`}</Text> : null}
              </>
            ) : null}
          </Box>
        );
      })}
    </Box>
  );
}
