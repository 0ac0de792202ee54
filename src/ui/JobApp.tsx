/**
 * The interactive shell around JobView: shows sampled job states, keeps its clock ticking
 * (elapsed, countdowns, ETA move between updates), follows the terminal's size, and turns keys
 * into commands: p pause/resume, a abort (after y), v heat-map view, ? help, q quit (a running
 * job is aborted safely), Ctrl-C once pauses and twice aborts. It never owns the job: the job runs
 * whether or not a frame is drawn, so a slow terminal cannot slow acquisition.
 */
import { useApp, useInput, useStdout } from 'ink';
import { useEffect, useRef, useState } from 'react';
import { asyncScheduler, interval, type Observable, type SchedulerLike } from 'rxjs';
import type { HeatView } from './heat-canvas.ts';
import type { JobState } from './job-state.ts';
import { JobView } from './JobView.tsx';

/** Props of JobApp. */
export interface JobAppProps {
  /** Sampled job states; the app exits when this completes. */
  states: Observable<JobState>;
  initial: JobState;
  /** Abort the job; `reason` says how it was asked for (logged with the run). */
  onAbort?: (reason: string) => void;
  /** p: pause, or resume when paused. */
  onPauseToggle?: () => void;
  /** Ctrl-C the first time: pause at the next checkpoint. */
  onPause?: () => void;
  /** q on a job that cannot be aborted (a stored run): leave. Default: exit the app. */
  onQuit?: () => void;
  /** Whether to listen for keys (false when stdin is not a terminal). */
  interactive: boolean;
  /** The job clock (ms), the same the updates are stamped with. Default `performance.now`. */
  now?: () => number;
  /** Clock redraw period (ms). Default 1,000. */
  tickMs?: number;
  /** Scheduler of the clock (tests). Default asyncScheduler. */
  scheduler?: SchedulerLike;
  /** Colour. Default: unless NO_COLOR. */
  color?: boolean;
}

const VIEWS: readonly HeatView[] = ['measured', 'target', 'error'];

function useTerminalSize(): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const read = () => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
  const [size, setSize] = useState(read);
  useEffect(() => {
    const onResize = () => setSize(read());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  });
  return size;
}

export function JobApp({
  states,
  initial,
  onAbort,
  onPauseToggle,
  onPause,
  onQuit,
  interactive,
  now = () => performance.now(),
  tickMs = 1000,
  scheduler = asyncScheduler,
  color = true,
}: JobAppProps) {
  const { exit } = useApp();
  const [state, setState] = useState(initial);
  const [ended, setEnded] = useState<{ error?: Error }>();
  const [clock, setClock] = useState(now);
  // Key state lives in a ref: several keys can arrive before the next render, and each must
  // see what the one before did (a state variable would hand the handler a stale copy).
  const keys = useRef({ view: 0, help: false, confirm: false, interrupts: 0 });
  const [, redraw] = useState(0);
  const set = (patch: Partial<typeof keys.current>) => {
    keys.current = { ...keys.current, ...patch };
    redraw((n) => n + 1);
  };
  const size = useTerminalSize();
  useEffect(() => {
    const sub = states.subscribe({
      next: (s) => {
        setState(s);
        setClock(now());
      },
      complete: () => setEnded({}),
      error: (e: unknown) => setEnded({ error: e instanceof Error ? e : new Error(String(e)) }),
    });
    return () => sub.unsubscribe();
  }, [states]);
  useEffect(() => {
    const sub = interval(tickMs, scheduler).subscribe(() => setClock(now()));
    return () => sub.unsubscribe();
  }, [tickMs, scheduler]);
  // Exit only after the last state has been committed to the screen.
  useEffect(() => {
    if (ended) exit(ended.error);
  }, [ended, exit]);
  const running = state.outcome === undefined && onAbort !== undefined;
  useInput(
    (input, key) => {
      const k = keys.current;
      if (key.ctrl && input === 'c') {
        const n = k.interrupts + 1;
        set({ interrupts: n });
        if (!running) (onQuit ?? exit)();
        else if (n === 1 && onPause) onPause();
        else onAbort('interrupted (Ctrl-C twice)');
        return;
      }
      if (k.help) {
        set({ help: false });
        return;
      }
      if (k.confirm) {
        set({ confirm: false });
        if (input === 'y' || input === 'Y') onAbort?.('aborted from the terminal (a)');
        return;
      }
      if (input === 'q') {
        if (running) onAbort('quit from the terminal (q)');
        else (onQuit ?? exit)();
      } else if (input === 'a' && running) set({ confirm: true });
      else if (input === 'p') onPauseToggle?.();
      else if (input === 'v') set({ view: (k.view + 1) % VIEWS.length });
      else if (input === '?') set({ help: true });
    },
    { isActive: interactive },
  );
  return (
    <JobView
      state={state}
      now={clock}
      view={VIEWS[keys.current.view]}
      columns={size.columns}
      rows={size.rows}
      color={color}
      confirmAbort={keys.current.confirm}
      help={keys.current.help}
      keys={{ pause: onPauseToggle !== undefined, abort: onAbort !== undefined }}
    />
  );
}
