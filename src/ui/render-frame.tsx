/** One dashboard frame as plain text (no terminal needed): `view --no-tui`, and tests. */
import { renderToString } from 'ink';
import type { JobState } from './job-state.ts';
import { JobView, type JobViewProps } from './JobView.tsx';

/** `state` drawn at `columns` × `rows` without colour. Defaults 80 × 24. */
export function renderFrame(state: JobState, props: Omit<JobViewProps, 'state'> = {}): string {
  const columns = props.columns ?? 80;
  return renderToString(
    <JobView state={state} color={false} keys={{ pause: false, abort: false }} {...props} />,
    { columns },
  );
}
