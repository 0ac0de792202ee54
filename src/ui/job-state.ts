/**
 * What a terminal UI shows of a running job (the demo, a campaign): its header, its steps, the
 * progress and rate of the one running, a map of the array, the programming-error histogram,
 * metrics, link health, recent log lines, and how it ended. Jobs describe themselves with a
 * stream of `JobUpdate`s; `reduceJob` folds them into a `JobState`. Pure apart from the heat-map
 * canvas (below), so the UI can be tested without a terminal and sampled at any rate.
 *
 * Times (`at`, ms) come with the updates from the job's own clock; the view is drawn at a `now`
 * from the same clock, so elapsed times, countdowns and ETAs move between updates.
 */
import type { LinkCounters, Region } from '../../drivers/driver.ts';
import { ErrorHistogram } from './error-histogram.ts';
import { HeatCanvas } from './heat-canvas.ts';

/** Status of a step. */
export type StepStatus = 'pending' | 'running' | 'done' | 'failed';

/** How a job ended. */
export type JobOutcome = 'completed' | 'failed' | 'aborted';

/** Who and what the job is about, for the header. */
export interface JobHeader {
  /** Run id (short uuid). */
  run?: string;
  campaign?: string;
  /** Chip identity, e.g. `RRAM-256 EMU-0001`. */
  chip?: string;
  /** Emulator profile (`emulator vlsi19-hfo2-256, seed 1`) or serial port. */
  connection?: string;
}

/** One update from a job. `at`: the job clock (ms) when it happened. */
export type JobUpdate =
  | {
      kind: 'job';
      title: string;
      subtitle?: string;
      steps: readonly string[];
      header?: JobHeader;
      /** Expected duration of each step (s), for the ETA of steps not yet started. */
      estimatesS?: readonly number[];
      at?: number;
    }
  | { kind: 'step-start'; index: number; units?: number; from?: number; at?: number }
  | { kind: 'progress'; index: number; done: number; total: number; detail?: string }
  /** A unit of work of the step committed: `done` of `units`. */
  | { kind: 'unit'; index: number; done: number; units: number; at?: number }
  | {
      kind: 'step-done';
      index: number;
      summary: string;
      /** Time taken, pauses excluded; none for work done earlier. */ ms?: number;
      at?: number;
    }
  | { kind: 'log'; text: string; level?: 'info' | 'warn' | 'error' }
  | { kind: 'pausing' }
  | { kind: 'paused'; paused: boolean; at?: number }
  /** A wait of `seconds` s begins. */
  | { kind: 'wait'; index: number; seconds: number; at?: number }
  /** Work done, for the rate: programmed cells and MVMs. */
  | { kind: 'work'; index: number; cells?: number; mvms?: number }
  /** The region steps work on from now (a step's `region`): the heat-map's canvas. */
  | { kind: 'region'; region: Region }
  /** Conductances measured in a region (µS). */
  | { kind: 'map'; region: Region; microS: Float32Array }
  /** Cells programmed: targets asked for and conductances reached (µS). */
  | { kind: 'program'; region: Region; targetsMicroS: Float32Array; finalMicroS: Float32Array }
  | { kind: 'metric'; name: string; value: number; unit: string; step?: number }
  | { kind: 'link'; counters: LinkCounters }
  | { kind: 'finished'; outcome: JobOutcome; message?: string; at?: number };

/** One step as shown. */
export interface StepView {
  name: string;
  status: StepStatus;
  summary?: string;
  /** Final duration (ms, pauses excluded). */
  ms?: number;
  done?: number;
  total?: number;
  detail?: string;
  /** Units of work committed and in all (from `unit` updates). */
  unitsDone?: number;
  units?: number;
  /** Units committed when this attempt started (a resumed step). */
  unitsFrom?: number;
  /** Running time of earlier stretches between pauses (ms). */
  activeMs: number;
  /** Start of the current running stretch (job clock, ms); undefined while paused or idle. */
  since?: number;
  /** Work done in this attempt, for the rate. */
  cells: number;
  mvms: number;
  /** The wait in progress. */
  wait?: { seconds: number; at: number };
}

/** A metric as shown. */
export interface MetricView {
  name: string;
  value: number;
  unit: string;
  step?: number;
}

/** Everything the UI shows. */
export interface JobState {
  title: string;
  subtitle?: string;
  header?: JobHeader;
  steps: StepView[];
  /** Expected duration of each step (s). */
  estimatesS?: readonly number[];
  /** Job clock when the job started (ms). */
  startedAt?: number;
  /** Job clock when it ended (ms). */
  endedAt?: number;
  /** Most recent log lines, oldest first (at most `MAX_LOG`). */
  log: { text: string; level: 'info' | 'warn' | 'error' }[];
  paused: boolean;
  /** A pause was asked for and takes effect after the unit in flight. */
  pausing: boolean;
  /** Latest value of each metric, in order of first arrival (at most `MAX_METRICS`). */
  metrics: MetricView[];
  /** `accuracy.<stage>` metrics in order of arrival: the closed loop's rounds. */
  accuracy: { stage: string; value: number }[];
  /** Targets and measured conductances of the region being worked on. */
  canvas?: HeatCanvas;
  /** Programming error (final − target, µS) of the cells programmed so far. */
  errors?: ErrorHistogram;
  link?: LinkCounters;
  outcome?: JobOutcome;
  message?: string;
  /** Updates folded in so far. */
  updates: number;
}

/** Log lines kept for display. */
export const MAX_LOG = 8;
/** Metrics kept for display. */
export const MAX_METRICS = 24;

/** The state before any update. */
export function initialJobState(title = ''): JobState {
  return {
    title,
    steps: [],
    log: [],
    paused: false,
    pausing: false,
    metrics: [],
    accuracy: [],
    updates: 0,
  };
}

const newStep = (name: string): StepView => ({
  name,
  status: 'pending',
  activeMs: 0,
  cells: 0,
  mvms: 0,
});

/** Running time of a step at `now` (ms, pauses excluded). */
export function stepActiveMs(s: StepView, now: number): number {
  if (s.ms !== undefined && s.status !== 'running') return s.ms;
  return s.activeMs + (s.since !== undefined ? Math.max(0, now - s.since) : 0);
}

/** Fold one update into the state (returns a new state; see the note on the canvas above). */
export function reduceJob(state: JobState, u: JobUpdate): JobState {
  const next: JobState = { ...state, updates: state.updates + 1 };
  const step = (index: number, patch: (old: StepView) => Partial<StepView>): JobState => {
    const steps = state.steps.slice();
    const old = steps[index] ?? newStep(`step ${index + 1}`);
    steps[index] = { ...old, ...patch(old) };
    return { ...next, steps };
  };
  const pauseAll = (at: number | undefined, paused: boolean): StepView[] =>
    state.steps.map((s) => {
      if (s.status !== 'running') return s;
      if (paused)
        return s.since !== undefined && at !== undefined
          ? { ...s, activeMs: s.activeMs + Math.max(0, at - s.since), since: undefined }
          : { ...s, since: undefined };
      return { ...s, since: at };
    });
  switch (u.kind) {
    case 'job':
      return {
        ...next,
        title: u.title,
        subtitle: u.subtitle,
        header: u.header,
        estimatesS: u.estimatesS,
        startedAt: state.startedAt ?? u.at,
        steps: u.steps.map(newStep),
      };
    case 'step-start':
      return step(u.index, () => ({
        status: 'running',
        since: state.paused ? undefined : u.at,
        activeMs: 0,
        cells: 0,
        mvms: 0,
        ...(u.units !== undefined && { units: u.units, unitsDone: u.from ?? 0 }),
        unitsFrom: u.from ?? 0,
      }));
    case 'progress':
      return step(u.index, (s) => ({
        status: 'running',
        done: u.done,
        total: u.total,
        detail: u.detail,
        // Progress after a wait means the wait is over.
        wait: s.wait && s.done !== u.done ? undefined : s.wait,
      }));
    case 'unit':
      return step(u.index, () => ({ unitsDone: u.done, units: u.units, wait: undefined }));
    case 'wait':
      return step(u.index, () => ({ wait: { seconds: u.seconds, at: u.at ?? 0 } }));
    case 'work':
      return step(u.index, (s) => ({
        cells: s.cells + (u.cells ?? 0),
        mvms: s.mvms + (u.mvms ?? 0),
      }));
    case 'step-done':
      return step(u.index, (s) => ({
        status: 'done',
        summary: u.summary,
        ms: u.ms,
        since: undefined,
        wait: undefined,
        ...(s.units !== undefined && { unitsDone: s.units }),
      }));
    case 'log':
      return {
        ...next,
        log: [...state.log, { text: u.text, level: u.level ?? 'info' }].slice(-MAX_LOG),
      };
    case 'pausing':
      return { ...next, pausing: true };
    case 'paused':
      return {
        ...next,
        paused: u.paused,
        pausing: false,
        steps: pauseAll(u.at, u.paused),
      };
    case 'region': {
      const canvas = state.canvas?.contains(u.region) ? state.canvas : new HeatCanvas(u.region);
      return { ...next, canvas };
    }
    case 'map': {
      const canvas = state.canvas?.contains(u.region) ? state.canvas : new HeatCanvas(u.region);
      canvas.setMeasured(u.region, u.microS);
      return { ...next, canvas };
    }
    case 'program': {
      const canvas = state.canvas?.contains(u.region) ? state.canvas : new HeatCanvas(u.region);
      canvas.setTarget(u.region, u.targetsMicroS);
      canvas.setMeasured(u.region, u.finalMicroS);
      const errors = state.errors ?? new ErrorHistogram();
      errors.add(u.targetsMicroS, u.finalMicroS);
      return { ...next, canvas, errors };
    }
    case 'metric': {
      const m: MetricView = { name: u.name, value: u.value, unit: u.unit, step: u.step };
      const at = state.metrics.findIndex((x) => x.name === u.name);
      const metrics =
        at >= 0
          ? state.metrics.map((x, i) => (i === at ? m : x))
          : [...state.metrics, m].slice(-MAX_METRICS);
      const stage = /^accuracy\.(.+)$/.exec(u.name)?.[1];
      return {
        ...next,
        metrics,
        accuracy:
          stage !== undefined ? [...state.accuracy, { stage, value: u.value }] : state.accuracy,
      };
    }
    case 'link':
      return { ...next, link: u.counters };
    case 'finished': {
      const steps = state.steps.map((s): StepView => {
        if (s.status !== 'running') return s;
        const activeMs = stepActiveMs(s, u.at ?? s.since ?? 0);
        return u.outcome === 'completed'
          ? { ...s, since: undefined, activeMs }
          : { ...s, status: 'failed', since: undefined, activeMs, ms: activeMs, wait: undefined };
      });
      return {
        ...next,
        steps,
        paused: false,
        pausing: false,
        outcome: u.outcome,
        message: u.message,
        endedAt: u.at,
      };
    }
  }
}
