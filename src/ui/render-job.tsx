/**
 * Run a job's update stream through the terminal UI. The stream is folded into states on every
 * update (cheap), but frames are drawn at most every `frameMs`, with the final state always
 * drawn: however fast the job emits, the terminal costs a bounded amount of time.
 */
import { render } from 'ink';
import {
  ReplaySubject,
  asyncScheduler,
  auditTime,
  last,
  merge,
  scan,
  type Observable,
  type SchedulerLike,
} from 'rxjs';
import { initialJobState, reduceJob, type JobState, type JobUpdate } from './job-state.ts';
import { JobApp, type JobAppProps } from './JobApp.tsx';
import { colorWanted } from './palette.ts';

/** Options of renderJob. */
export interface RenderJobOptions {
  /** Terminal output. Default process.stdout. */
  stdout?: NodeJS.WriteStream;
  /** Terminal input for keys. Default process.stdin. */
  stdin?: NodeJS.ReadStream;
  /** Abort the job (a then y, q while running, Ctrl-C twice); `reason` says which. */
  onAbort?: (reason: string) => void;
  /** Called on p. */
  onPauseToggle?: () => void;
  /** Called on the first Ctrl-C: pause at the next checkpoint. */
  onPause?: () => void;
  /** The job clock the updates are stamped with (ms). Default `performance.now`. */
  now?: () => number;
  /** Colour. Default: unless NO_COLOR is set. */
  color?: boolean;
  /** Least time between two frames (ms). Default 500: a frame costs the acquisition thread tens of ms. */
  frameMs?: number;
  /** Scheduler of the frame sampling (tests). Default asyncScheduler. */
  scheduler?: SchedulerLike;
}

/**
 * Fold a job's updates into states from now on (updates that arrive before the UI has mounted
 * are not lost), and sample them: at most one state per `frameMs`, and always the last.
 */
export function sampleJob(
  updates: Observable<JobUpdate>,
  frameMs: number,
  scheduler: SchedulerLike = asyncScheduler,
): Observable<JobState> {
  const states = new ReplaySubject<JobState>(1);
  updates.pipe(scan(reduceJob, initialJobState())).subscribe(states);
  return merge(
    states.pipe(auditTime(frameMs, scheduler)),
    states.pipe(last(undefined, initialJobState())),
  );
}

/** Show the job in the terminal until its stream completes; resolves when the UI has exited. */
export async function renderJob(
  updates: Observable<JobUpdate>,
  options: RenderJobOptions = {},
): Promise<void> {
  return show(
    {
      states: sampleJob(updates, options.frameMs ?? 500, options.scheduler),
      onAbort: options.onAbort,
      onPauseToggle: options.onPauseToggle,
      onPause: options.onPause,
    },
    options,
  );
}

/**
 * Show ready-made states (a stored run, `rram-bench view`) until they complete or the user
 * quits with q; resolves when the UI has exited.
 */
export async function renderStates(
  states: Observable<JobState>,
  options: Pick<RenderJobOptions, 'stdout' | 'stdin' | 'now' | 'color'> = {},
): Promise<void> {
  return show({ states }, options);
}

/** Mount JobApp on the terminal (interactive when stdin is a TTY); resolves when it exits. */
async function show(
  props: Pick<JobAppProps, 'states' | 'onAbort' | 'onPauseToggle' | 'onPause'>,
  options: Pick<RenderJobOptions, 'stdout' | 'stdin' | 'now' | 'color'>,
): Promise<void> {
  const stdin = options.stdin ?? process.stdin;
  const instance = render(
    <JobApp
      {...props}
      initial={initialJobState()}
      {...(options.now && { now: options.now })}
      color={options.color ?? colorWanted()}
      interactive={stdin.isTTY === true}
    />,
    { stdout: options.stdout ?? process.stdout, stdin, exitOnCtrlC: false, patchConsole: false },
  );
  await instance.waitUntilExit();
}
