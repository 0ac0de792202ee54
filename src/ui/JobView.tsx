/** The terminal view of a running job: steps with status, the running step's progress, log, keys. */
import { Box, Text } from 'ink';
import type { JobState, StepView } from './job-state.ts';
import { progressBar } from './progress-bar.ts';

const GLYPH = { pending: '·', running: '▶', done: '✔', failed: '✖' } as const;
const COLOR = { pending: 'gray', running: 'cyan', done: 'green', failed: 'red' } as const;

function Step({ step, width }: { step: StepView; width: number }) {
  const timing =
    step.ms === undefined
      ? ''
      : `  (${step.ms < 1000 ? `${step.ms.toFixed(0)} ms` : `${(step.ms / 1000).toFixed(1)} s`})`;
  return (
    <Box flexDirection="column">
      <Text>
        <Text color={COLOR[step.status]}>{GLYPH[step.status]} </Text>
        <Text bold={step.status === 'running'}>{step.name.padEnd(width)}</Text>
        <Text dimColor>
          {step.summary ?? ''}
          {timing}
        </Text>
      </Text>
      {step.status === 'running' && step.total !== undefined ? (
        <Text>
          {'  '}
          <Text color="cyan">{progressBar(step.done ?? 0, step.total)}</Text>
          <Text
            dimColor
          >{`  ${step.done ?? 0}/${step.total}${step.detail ? `  ${step.detail}` : ''}`}</Text>
        </Text>
      ) : null}
    </Box>
  );
}

/** Render a JobState. */
export function JobView({ state }: { state: JobState }) {
  // One column for the summaries: at least 12 wide, and a space after the longest name.
  const nameWidth = Math.max(12, ...state.steps.map((s) => s.name.length + 1));
  const ended = state.outcome !== undefined;
  return (
    <Box flexDirection="column" paddingX={1}>
      <Text bold>
        {state.title}
        {state.subtitle ? <Text dimColor>{`  ${state.subtitle}`}</Text> : null}
      </Text>
      <Box flexDirection="column" marginY={1}>
        {state.steps.map((s, i) => (
          <Step key={i} step={s} width={nameWidth} />
        ))}
      </Box>
      {state.log.length > 0 ? (
        <Box flexDirection="column" marginBottom={1}>
          {state.log.map((l, i) => (
            <Text
              key={i}
              color={l.level === 'error' ? 'red' : l.level === 'warn' ? 'yellow' : undefined}
              dimColor={l.level === 'info'}
            >
              {l.text}
            </Text>
          ))}
        </Box>
      ) : null}
      {ended ? (
        <Text color={state.outcome === 'completed' ? 'green' : 'red'} bold>
          {state.outcome}
          {state.message ? `: ${state.message}` : ''}
        </Text>
      ) : (
        <Text dimColor>{state.paused ? 'paused — p resume · q abort' : 'q abort · p pause'}</Text>
      )}
    </Box>
  );
}
