/**
 * The dashboard of `rram-bench run` on a terminal. It is drawn as soon as the campaign is
 * parsed — before the chip is opened and the database written — so the first frame comes at
 * once; the run engine is attached when it exists, and its record stream (the one the store
 * consumes) is mapped to dashboard updates that the UI samples. Keys reach the engine through
 * late-bound controls; before it exists an abort cancels the start-up.
 */
import { Subject } from 'rxjs';
import type { RunEngine } from '../campaign/run-engine.ts';
import type { JobHeader, JobUpdate } from '../ui/job-state.ts';
import { renderJob } from '../ui/render-job.tsx';
import type { RunUpdates } from './run-updates.ts';

/** How often the link counters are read for the link panel (ms). */
const LINK_POLL_MS = 1000;

/** A dashboard waiting for, then showing, a run. */
export class RunScreen {
  private readonly updates = new Subject<JobUpdate>();
  private engine: RunEngine | undefined;
  private readonly ui: Promise<void>;
  private closed = false;
  /** Aborted when the user aborts before the engine runs. */
  readonly startup = new AbortController();
  /** p was pressed before the engine existed: pause it at its first checkpoint. */
  private pendingPause = false;
  /** How the user asked to abort, for the run log. */
  abortReason: string | undefined;

  constructor(title: string, steps: readonly string[], header: JobHeader) {
    this.ui = renderJob(this.updates, {
      onAbort: (reason) => this.abort(reason),
      onPauseToggle: () => {
        const e = this.engine;
        if (!e) this.pendingPause = !this.pendingPause;
        else if (e.state === 'paused' || e.state === 'pausing') e.resume();
        else e.pause();
      },
      onPause: () => {
        if (this.engine) this.engine.pause();
        else this.pendingPause = true;
      },
    });
    this.updates.next({ kind: 'job', title, steps, header, at: performance.now() });
    this.updates.next({ kind: 'log', text: 'opening the chip and checking the plan against it' });
  }

  private abort(reason: string): void {
    this.abortReason = reason;
    if (this.engine) this.engine.abort(reason);
    else this.startup.abort(reason);
  }

  /** Show `engine`'s records through `mapper` until its stream completes. */
  attach(engine: RunEngine, mapper: RunUpdates): void {
    this.engine = engine;
    if (this.startup.signal.aborted) engine.abort(this.abortReason);
    const poll = setInterval(() => {
      const counters = engine.linkCounters();
      if (counters) this.updates.next({ kind: 'link', counters: { ...counters } });
    }, LINK_POLL_MS);
    engine.records.subscribe({
      next: (r) => mapper.updates(r).forEach((u) => this.updates.next(u)),
      complete: () => {
        clearInterval(poll);
        const counters = engine.linkCounters();
        if (counters) this.updates.next({ kind: 'link', counters: { ...counters } });
        void this.close();
      },
    });
    if (!this.startup.signal.aborted && this.pendingPause) {
      // The engine pauses from `running`: ask once it has started (subscribed after the
      // dashboard's mapper, so the dashboard sees `running` before `pausing`).
      const sub = engine.records.subscribe((r) => {
        if (r.type === 'state' && r.state === 'running') {
          sub.unsubscribe();
          engine.pause();
        }
      });
    }
  }

  /** End the screen (with a failure line when the run never started); resolves when it is gone. */
  async close(failure?: string): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      if (failure !== undefined)
        this.updates.next({
          kind: 'finished',
          outcome: 'failed',
          message: failure,
          at: performance.now(),
        });
      this.updates.complete();
    }
    await this.ui;
  }
}
