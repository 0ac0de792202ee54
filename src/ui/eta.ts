/** Progress, rate and time left of a running step, and of the whole job, at a given `now`. */
import type { JobState, StepView } from './job-state.ts';
import { stepActiveMs } from './job-state.ts';

/** Fraction of a step done (0–1): its committed units, or its own progress count. */
export function stepFraction(s: StepView): number {
  if (s.status === 'done') return 1;
  const byUnits = s.units ? (s.unitsDone ?? 0) / s.units : 0;
  const byProgress = s.total ? (s.done ?? 0) / s.total : 0;
  return Math.min(1, Math.max(byUnits, byProgress));
}

/** Seconds left of the wait in progress (0 when none). */
export function waitLeftS(s: StepView, now: number): number {
  if (!s.wait) return 0;
  return Math.max(0, s.wait.seconds - (now - s.wait.at) / 1000);
}

/**
 * Time left of a running step (s): the wait's countdown while waiting, else extrapolated from
 * the fraction done in this attempt over the time it took (pauses excluded); undefined before
 * anything is done.
 */
export function stepEtaS(s: StepView, now: number): number | undefined {
  if (s.status !== 'running') return s.status === 'done' ? 0 : undefined;
  if (s.wait) return waitLeftS(s, now);
  const f = stepFraction(s);
  const from = s.units ? (s.unitsFrom ?? 0) / s.units : 0;
  const ms = stepActiveMs(s, now);
  if (f <= from || ms <= 0) return undefined;
  return ((ms / 1000) * (1 - f)) / (f - from);
}

/** Work rate of a step (per second of running time): cells programmed and MVMs. */
export function stepRates(s: StepView, now: number): { cellsPerS: number; mvmPerS: number } {
  const sec = stepActiveMs(s, now) / 1000;
  return sec > 0
    ? { cellsPerS: s.cells / sec, mvmPerS: s.mvms / sec }
    : { cellsPerS: 0, mvmPerS: 0 };
}

/**
 * Time left of the whole job (s): the running step's, plus the estimates of the steps not yet
 * started; undefined when the running step's is unknown or there are no estimates.
 */
export function jobEtaS(state: JobState, now: number): number | undefined {
  if (state.outcome !== undefined) return 0;
  let left = 0;
  for (let i = 0; i < state.steps.length; i++) {
    const s = state.steps[i]!;
    if (s.status === 'running') {
      // Before the step has measured its own pace, its estimate less the time it has run.
      const est = state.estimatesS?.[i];
      const eta =
        stepEtaS(s, now) ??
        (est !== undefined ? Math.max(0, est - stepActiveMs(s, now) / 1000) : undefined);
      if (eta === undefined) return undefined;
      left += eta;
    } else if (s.status === 'pending') {
      const e = state.estimatesS?.[i];
      if (e === undefined) return undefined;
      left += e;
    }
  }
  return left;
}
