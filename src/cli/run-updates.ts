/**
 * A campaign run's records as terminal-UI updates (`rram-bench run` on a terminal): the job
 * with its plan's steps, each step's start, progress and summary, events as log lines, pause,
 * and how the run ended. Pure apart from the step list it remembers, so it is tested without a
 * terminal; the UI samples what it produces (src/ui/render-job.tsx).
 */
import type { RunRecord, StepOutline } from '../campaign/run-record.ts';
import type { JobUpdate } from '../ui/job-state.ts';
import { num } from './format.ts';

/** Most summary entries shown beside a finished step (the rest are in `runs show`). */
const SUMMARY_ENTRIES = 3;

/** Turns one run's records into JobUpdates. */
export class RunUpdates {
  private steps: StepOutline[] = [];
  private paused = false;

  /** `subtitle`: the chip, shown under the title. */
  constructor(private readonly subtitle: string) {}

  /** The updates for record `r` (often none). */
  updates(r: RunRecord): JobUpdate[] {
    switch (r.type) {
      case 'start': {
        this.steps = r.steps;
        const out: JobUpdate[] = [
          {
            kind: 'job',
            title: `rram-bench run: ${r.campaign}`,
            subtitle: `run ${r.runUuid.slice(0, 8)} · ${this.subtitle}`,
            steps: r.steps.map((s) => s.name),
          },
        ];
        for (const s of r.steps)
          if (s.completed)
            out.push({
              kind: 'step-done',
              index: s.idx,
              summary: 'done in an earlier attempt',
            });
        if (r.resumed) {
          const done = r.steps.filter((s) => s.completed).length;
          out.push({
            kind: 'log',
            text: `resumed: ${done} steps done${r.replay ? ', replaying committed work on the emulated chip' : ''}`,
          });
        }
        return out;
      }
      case 'step-start': {
        const out: JobUpdate[] = [{ kind: 'step-start', index: r.idx }];
        if (r.from > 0)
          out.push(
            {
              kind: 'progress',
              index: r.idx,
              done: r.from,
              total: r.units,
              detail: 'committed earlier',
            },
            { kind: 'log', text: `${r.name}: continuing at unit ${r.from + 1}/${r.units}` },
          );
        return out;
      }
      case 'progress':
        return [
          {
            kind: 'progress',
            index: r.idx,
            done: r.done,
            total: r.total,
            ...(r.detail !== undefined && { detail: r.detail }),
          },
        ];
      case 'step-end':
        if (r.status === 'completed')
          return [{ kind: 'step-done', index: r.idx, summary: describe(r.summary), ms: r.ms }];
        return [
          {
            kind: 'log',
            text: `${r.name}: ${r.status}${typeof r.summary.error === 'string' ? `: ${r.summary.error}` : ''}`,
            level: r.status === 'failed' ? 'error' : 'warn',
          },
        ];
      case 'event':
        return [
          {
            kind: 'log',
            text: `${r.idx !== undefined ? `${this.steps[r.idx]?.name ?? `step ${r.idx + 1}`}: ` : ''}${r.kind}${r.code ? ` [${r.code}]` : ''}: ${r.message}`,
            level: r.kind === 'error' ? 'error' : r.kind === 'interrupted' ? 'warn' : 'info',
          },
        ];
      case 'state':
        if (r.state === 'paused') return this.setPaused(true);
        if (r.state === 'running') return this.setPaused(false);
        if (r.state === 'pausing')
          return [{ kind: 'log', text: 'pausing after the unit of work in flight' }];
        if (r.state === 'aborting')
          return [{ kind: 'log', text: 'aborting: leaving the chip idle', level: 'warn' }];
        return [];
      case 'stop':
        return [
          {
            kind: 'finished',
            outcome: r.status,
            message: `${r.reason}${r.code && r.status !== 'completed' ? ` [${r.code}]` : ''}`,
          },
        ];
      case 'checkpoint':
      case 'measurement':
        return [];
    }
  }

  private setPaused(paused: boolean): JobUpdate[] {
    if (paused === this.paused) return [];
    this.paused = paused;
    return [{ kind: 'paused', paused }];
  }
}

/** The first few numbers and words of a step's summary, e.g. `accuracy 1, samples 256`. */
function describe(summary: Record<string, unknown>): string {
  return Object.entries(summary)
    .filter(([, v]) => typeof v === 'number' || typeof v === 'string')
    .slice(0, SUMMARY_ENTRIES)
    .map(([k, v]) => `${k} ${typeof v === 'number' ? num(v) : String(v)}`)
    .join(', ');
}
