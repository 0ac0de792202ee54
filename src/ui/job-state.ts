/**
 * What a terminal UI shows of a running job (the demo, a campaign): its steps, the progress of
 * the one running, recent log lines, and how it ended. Jobs describe themselves with a stream of
 * `JobUpdate`s; `reduceJob` folds them into a `JobState`. Pure, so the UI can be tested without a
 * terminal and the same state can be sampled at any rate.
 */

/** Status of a step. */
export type StepStatus = 'pending' | 'running' | 'done' | 'failed';

/** How a job ended. */
export type JobOutcome = 'completed' | 'failed' | 'aborted';

/** One update from a job. */
export type JobUpdate =
  | { kind: 'job'; title: string; subtitle?: string; steps: readonly string[] }
  | { kind: 'step-start'; index: number }
  | { kind: 'progress'; index: number; done: number; total: number; detail?: string }
  | {
      kind: 'step-done';
      index: number;
      summary: string;
      /** Time taken; none for work done earlier. */ ms?: number;
    }
  | { kind: 'log'; text: string; level?: 'info' | 'warn' | 'error' }
  | { kind: 'paused'; paused: boolean }
  | { kind: 'finished'; outcome: JobOutcome; message?: string };

/** One step as shown. */
export interface StepView {
  name: string;
  status: StepStatus;
  summary?: string;
  ms?: number;
  done?: number;
  total?: number;
  detail?: string;
}

/** Everything the UI shows. */
export interface JobState {
  title: string;
  subtitle?: string;
  steps: StepView[];
  /** Most recent log lines, oldest first (at most `MAX_LOG`). */
  log: { text: string; level: 'info' | 'warn' | 'error' }[];
  paused: boolean;
  outcome?: JobOutcome;
  message?: string;
  /** Updates folded in so far. */
  updates: number;
}

/** Log lines kept for display. */
export const MAX_LOG = 8;

/** The state before any update. */
export function initialJobState(title = ''): JobState {
  return { title, steps: [], log: [], paused: false, updates: 0 };
}

/** Fold one update into the state (returns a new state; never mutates). */
export function reduceJob(state: JobState, u: JobUpdate): JobState {
  const next: JobState = { ...state, updates: state.updates + 1 };
  const step = (index: number, patch: Partial<StepView>): JobState => {
    const steps = state.steps.slice();
    const old = steps[index] ?? { name: `step ${index + 1}`, status: 'pending' as const };
    steps[index] = { ...old, ...patch };
    return { ...next, steps };
  };
  switch (u.kind) {
    case 'job':
      return {
        ...next,
        title: u.title,
        subtitle: u.subtitle,
        steps: u.steps.map((name) => ({ name, status: 'pending' })),
      };
    case 'step-start':
      return step(u.index, { status: 'running' });
    case 'progress':
      return step(u.index, { status: 'running', done: u.done, total: u.total, detail: u.detail });
    case 'step-done':
      return step(u.index, { status: 'done', summary: u.summary, ms: u.ms });
    case 'log':
      return {
        ...next,
        log: [...state.log, { text: u.text, level: u.level ?? 'info' }].slice(-MAX_LOG),
      };
    case 'paused':
      return { ...next, paused: u.paused };
    case 'finished': {
      const steps =
        u.outcome === 'completed'
          ? state.steps
          : state.steps.map((s) =>
              s.status === 'running' ? { ...s, status: 'failed' as const } : s,
            );
      return { ...next, steps, outcome: u.outcome, message: u.message };
    }
  }
}
