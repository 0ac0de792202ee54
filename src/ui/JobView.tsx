/**
 * The dashboard of a running (or stored) job, laid out for the terminal's size (80×24 at
 * least; a larger terminal gets a larger map and more log): header, link health, steps with the
 * running step's bar, heat-map and error histogram, metrics, log, and a footer with the keys.
 */
import { Box, Text } from 'ink';
import { ErrorHistogramView } from './ErrorHistogramView.tsx';
import { Header } from './Header.tsx';
import type { HeatView } from './heat-canvas.ts';
import { HeatMap } from './HeatMap.tsx';
import type { JobState } from './job-state.ts';
import { LinkPanel, linkPanelHeight } from './LinkPanel.tsx';
import { MetricsPanel } from './MetricsPanel.tsx';
import { StepsPanel } from './StepsPanel.tsx';

/** Which keys the job answers to (a stored run answers to none of p and a). */
export interface JobKeys {
  pause: boolean;
  abort: boolean;
}

/** Props of JobView. */
export interface JobViewProps {
  state: JobState;
  /** Job clock now (ms). Default: when the job ended, or started. */
  now?: number;
  /** What the heat-map shows. Default `measured`. */
  view?: HeatView;
  /** Terminal size. Default 80×24. */
  columns?: number;
  rows?: number;
  /** Colour (off with NO_COLOR). Default true. */
  color?: boolean;
  /** The abort confirmation is showing. */
  confirmAbort?: boolean;
  /** The key help is showing. */
  help?: boolean;
  /** Keys to list in the footer. Default pause and abort. */
  keys?: JobKeys;
}

const HELP = [
  'p      pause after the unit of work in flight; p again resumes',
  'a      abort (asks first): the chip is left idle, --resume continues',
  'v      heat-map view: target → measured → error',
  '?      this help (any key closes it)',
  'q      quit; a running job is aborted safely first',
  'Ctrl-C once pauses, twice aborts',
];

function Footer({
  state,
  confirmAbort,
  keys,
  color,
}: {
  state: JobState;
  confirmAbort: boolean;
  keys: JobKeys;
  color: boolean;
}) {
  if (state.outcome)
    return (
      <Text
        wrap="truncate"
        bold
        color={color ? (state.outcome === 'completed' ? 'green' : 'red') : undefined}
      >
        {state.outcome}
        {state.message ? `: ${state.message}` : ''}
      </Text>
    );
  if (confirmAbort)
    return (
      <Text color={color ? 'red' : undefined} bold>
        abort the run? y aborts, any other key goes on
      </Text>
    );
  const parts = [
    keys.pause ? (state.paused || state.pausing ? 'p resume' : 'p pause') : undefined,
    keys.abort ? 'a abort' : undefined,
    'v view',
    '? help',
    keys.abort ? 'q quit (aborts)' : 'q quit',
  ].filter(Boolean);
  return (
    <Text wrap="truncate" dimColor>
      {parts.join(' · ')}
    </Text>
  );
}

/** Render a JobState. */
export function JobView({
  state,
  now = state.endedAt ?? state.startedAt ?? 0,
  view = 'measured',
  columns = 80,
  rows = 24,
  color = true,
  confirmAbort = false,
  help = false,
  keys = { pause: true, abort: true },
}: JobViewProps) {
  const width = Math.max(60, columns) - 2;
  const rightW = width < 100 ? 30 : Math.min(72, Math.floor(width * 0.45));
  const leftW = width - rightW - 2;
  const mainH = Math.max(7, Math.min(40, Math.floor((rows - 8) * 0.7)));
  const metricsH = state.metrics.length + state.accuracy.length > 0 ? (rows > 30 ? 4 : 2) : 0;
  const linkH = linkPanelHeight(state.link, width);
  const logH = Math.max(
    1,
    Math.min(rows > 30 ? 16 : 8, rows - 1 - (2 + linkH + 1 + mainH + metricsH + 1)),
  );
  const hasHist = (state.errors?.total ?? 0) > 0;
  const mapLines = Math.max(2, mainH - 2 - (hasHist ? 2 : 0));
  const log = state.log.slice(-logH);
  return (
    <Box flexDirection="column" paddingX={1} width={width + 2}>
      <Header state={state} now={now} color={color} />
      <LinkPanel link={state.link} color={color} width={width} />
      {help ? (
        <Box flexDirection="column" marginTop={1} height={mainH}>
          {HELP.map((l) => (
            <Text key={l}>{l}</Text>
          ))}
        </Box>
      ) : (
        <Box flexDirection="row" marginTop={1} height={mainH}>
          <StepsPanel steps={state.steps} now={now} width={leftW} height={mainH} color={color} />
          <Box flexDirection="column" marginLeft={2} width={rightW}>
            <HeatMap
              canvas={state.canvas}
              canvasVersion={state.canvas?.version}
              view={view}
              width={rightW}
              height={mapLines}
              color={color}
            />
            <ErrorHistogramView
              errors={state.errors}
              total={state.errors?.total}
              width={rightW}
              color={color}
            />
          </Box>
        </Box>
      )}
      <MetricsPanel state={state} width={width} height={metricsH} />
      <Box flexDirection="column" height={logH}>
        {log.map((l, i) => (
          <Text
            key={i}
            wrap="truncate"
            color={
              color
                ? l.level === 'error'
                  ? 'red'
                  : l.level === 'warn'
                    ? 'yellow'
                    : undefined
                : undefined
            }
            dimColor={l.level === 'info'}
          >
            {l.text}
          </Text>
        ))}
      </Box>
      <Footer state={state} confirmAbort={confirmAbort} keys={keys} color={color} />
    </Box>
  );
}
