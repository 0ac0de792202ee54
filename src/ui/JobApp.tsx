/**
 * The interactive shell around JobView: shows sampled job states and turns keys into commands
 * (q or Ctrl-C: abort; p: pause/resume). It never owns the job: the job runs whether or not a
 * frame is drawn, so a slow terminal cannot slow acquisition.
 */
import { useApp, useInput } from 'ink';
import { useEffect, useState } from 'react';
import type { Observable } from 'rxjs';
import type { JobState } from './job-state.ts';
import { JobView } from './JobView.tsx';

/** Props of JobApp. */
export interface JobAppProps {
  /** Sampled job states; the app exits when this completes. */
  states: Observable<JobState>;
  initial: JobState;
  onAbort?: () => void;
  onPauseToggle?: () => void;
  /** Whether to listen for keys (false when stdin is not a terminal). */
  interactive: boolean;
}

export function JobApp({ states, initial, onAbort, onPauseToggle, interactive }: JobAppProps) {
  const { exit } = useApp();
  const [state, setState] = useState(initial);
  const [ended, setEnded] = useState<{ error?: Error }>();
  useEffect(() => {
    const sub = states.subscribe({
      next: setState,
      complete: () => setEnded({}),
      error: (e: unknown) => setEnded({ error: e instanceof Error ? e : new Error(String(e)) }),
    });
    return () => sub.unsubscribe();
  }, [states]);
  // Exit only after the last state has been committed to the screen.
  useEffect(() => {
    if (ended) exit(ended.error);
  }, [ended, exit]);
  useInput(
    (input, key) => {
      if (input === 'q' || (key.ctrl && input === 'c')) onAbort?.();
      else if (input === 'p') onPauseToggle?.();
    },
    { isActive: interactive },
  );
  return <JobView state={state} />;
}
