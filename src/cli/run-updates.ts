/**
 * A campaign run's records as dashboard updates (`rram-bench run` on a terminal, and
 * `rram-bench view`): the job with its header and steps, each step's start, units, progress,
 * waits, work and summary, maps and programmed cells for the heat-map and the error histogram,
 * metrics, events as log lines, pause and resume, and how the run ended. Pure apart from the step
 * list it remembers and the clock it stamps updates with, so it is tested without a terminal.
 */
import type { Region } from '../../drivers/driver.ts';
import type { RunRecord, StepOutline } from '../campaign/run-record.ts';
import type { JobHeader, JobUpdate } from '../ui/job-state.ts';
import { plural, quantity } from './format.ts';

/** Most summary entries shown beside a finished step (the rest are in `runs show`). */
const SUMMARY_ENTRIES = 3;

/** What RunUpdates is told besides the records. */
export interface RunUpdatesOptions {
  /** Chip and connection for the header. */
  header?: JobHeader;
  /** Expected duration of each step (s), for the ETA. */
  estimatesS?: readonly number[];
  /** The job clock (ms). Default `performance.now`. */
  now?: () => number;
}

/** Turns one run's records into JobUpdates. */
export class RunUpdates {
  private steps: StepOutline[] = [];
  private state: string = 'idle';
  private readonly now: () => number;

  /** `subtitle`: the chip, shown under the title when there is no header. */
  constructor(
    private readonly subtitle: string,
    private readonly options: RunUpdatesOptions = {},
  ) {
    this.now = options.now ?? (() => performance.now());
  }

  /** The updates for record `r` (often none). */
  updates(r: RunRecord): JobUpdate[] {
    const at = this.now();
    switch (r.type) {
      case 'start': {
        this.steps = r.steps;
        const out: JobUpdate[] = [
          {
            kind: 'job',
            title: `rram-bench run: ${r.campaign}`,
            subtitle: `run ${r.runUuid.slice(0, 8)} · ${this.subtitle}`,
            steps: r.steps.map((s) => s.name),
            header: { ...this.options.header, run: r.runUuid.slice(0, 8), campaign: r.campaign },
            ...(this.options.estimatesS && { estimatesS: this.options.estimatesS }),
            at,
          },
        ];
        for (const s of r.steps)
          if (s.completed)
            out.push({ kind: 'step-done', index: s.idx, summary: 'done in an earlier attempt' });
        if (r.resumed) {
          const done = r.steps.filter((s) => s.completed).length;
          out.push({
            kind: 'log',
            text: `resumed: ${plural(done, 'step')} done${r.replay ? ', replaying committed work on the emulated chip' : ''}`,
          });
        }
        return out;
      }
      case 'step-start': {
        const out: JobUpdate[] = [
          { kind: 'step-start', index: r.idx, units: r.units, from: r.from, at },
        ];
        const region = regionOf(r.state);
        if (region) out.push({ kind: 'region', region });
        if (r.from > 0)
          out.push({
            kind: 'log',
            text: `${r.name}: continuing at unit ${r.from + 1} of ${r.units}`,
          });
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
      case 'checkpoint':
        return [{ kind: 'unit', index: r.idx, done: r.unit + 1, units: r.units, at }];
      case 'wait':
        return [{ kind: 'wait', index: r.idx, seconds: r.seconds, at }];
      case 'measurement': {
        const m = r.measurement;
        switch (m.kind) {
          case 'map':
            return [{ kind: 'map', region: m.map.region, microS: m.map.microS }];
          case 'program':
            return [
              {
                kind: 'program',
                region: m.result.region,
                targetsMicroS: m.targetsMicroS,
                finalMicroS: m.result.finalMicroS,
              },
              { kind: 'work', index: r.idx, cells: m.targetsMicroS.length },
            ];
          case 'mvm':
            return [{ kind: 'work', index: r.idx, mvms: m.result.batch }];
          case 'metric':
            return [{ kind: 'metric', name: m.name, value: m.value, unit: m.unit, step: r.idx }];
          default:
            return [];
        }
      }
      case 'step-end':
        if (r.status === 'completed')
          return [{ kind: 'step-done', index: r.idx, summary: describe(r.summary), ms: r.ms, at }];
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
      case 'state': {
        const was = this.state;
        this.state = r.state;
        if (r.state === 'pausing')
          return [
            { kind: 'pausing' },
            { kind: 'log', text: 'pausing after the unit of work in flight' },
          ];
        if (r.state === 'paused')
          return [
            { kind: 'paused', paused: true, at },
            { kind: 'log', text: 'paused', level: 'warn' },
          ];
        if (r.state === 'running' && (was === 'paused' || was === 'pausing'))
          return [
            { kind: 'paused', paused: false, at },
            { kind: 'log', text: was === 'paused' ? 'resumed' : 'pause cancelled: running on' },
          ];
        if (r.state === 'aborting')
          return [{ kind: 'log', text: 'aborting: leaving the chip idle', level: 'warn' }];
        return [];
      }
      case 'stop':
        return [
          {
            kind: 'finished',
            outcome: r.status,
            message: `${r.reason}${r.code && r.status !== 'completed' ? ` [${r.code}]` : ''}`,
            at,
          },
        ];
    }
  }
}

/** The `region` of a step's parameters, when it has one. */
function regionOf(params: unknown): Region | undefined {
  const r = (params as { region?: Partial<Region> } | null)?.region;
  return r &&
    typeof r.row === 'number' &&
    typeof r.col === 'number' &&
    typeof r.rows === 'number' &&
    typeof r.cols === 'number'
    ? { row: r.row, col: r.col, rows: r.rows, cols: r.cols }
    : undefined;
}

/** The first few figures of a step's summary with their units, e.g. `accuracy 100%, samples 256`. */
export function describe(summary: Record<string, unknown>): string {
  return Object.entries(summary)
    .filter(([, v]) => typeof v === 'number' || typeof v === 'string')
    .slice(0, SUMMARY_ENTRIES)
    .map(([k, v]) => `${k} ${quantity(k, v)}`)
    .join(', ');
}
