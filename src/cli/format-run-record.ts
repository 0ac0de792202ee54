/**
 * Plain progress lines for a campaign run (`rram-bench run` without the terminal UI), and the
 * NDJSON form of the records for `--json`. Both are subscribers of the engine's record stream.
 */
import type { RunRecord, StepOutline } from '../campaign/run-record.ts';
import type { Measurement } from '../store/measurement.ts';
import { count, duration, plural, quantity } from './format.ts';

/** Units of a step whose `committed` lines are always printed (32). */
export const ALWAYS_UNITS = 32;

/** Turns records into lines; `null` for records that print nothing. */
export class RunLineFormatter {
  private steps: StepOutline[] = [];
  private lastUnitLine = -Infinity;
  private wasPaused = false;

  /**
   * `minUnitLineMs`: least time between two `n/N committed` lines past a step's first
   * `ALWAYS_UNITS` (the last unit is always printed), so a step of thousands of small units
   * prints a bounded number of lines.
   * Default 1,000 ms. `now`: the clock (ms). Default `performance.now`.
   */
  constructor(
    private readonly minUnitLineMs = 1000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The line for `r`, or null. */
  line(r: RunRecord): string | null {
    const was = this.wasPaused;
    if (r.type === 'state') this.wasPaused = r.state === 'paused';
    if (r.type === 'state' && r.state === 'running' && was) return '  resumed';
    const tag = (idx: number) => `[${idx + 1}/${this.steps.length}] ${this.steps[idx]?.name ?? ''}`;
    switch (r.type) {
      case 'start': {
        this.steps = r.steps;
        const done = r.steps.filter((s) => s.completed).length;
        const resumed = r.resumed
          ? ` — resumed: ${plural(done, 'step')} done${r.replay ? ', replaying committed work on the emulated chip' : ''}`
          : '';
        return `run ${r.runUuid}: campaign '${r.campaign}', ${r.steps.length} steps${resumed}`;
      }
      case 'step-start':
        return r.from > 0 ? `${tag(r.idx)}: continuing at unit ${r.from + 1}/${r.units}` : null;
      case 'checkpoint': {
        if (r.units <= 1) return null;
        // Every unit of a step with few; past those, one line per `minUnitLineMs` and the last.
        const t = this.now();
        const last = r.unit + 1 === r.units;
        if (r.unit >= ALWAYS_UNITS && !last && t - this.lastUnitLine < this.minUnitLineMs)
          return null;
        this.lastUnitLine = t;
        return `${tag(r.idx)}: ${count(r.unit + 1)}/${count(r.units)} committed`;
      }
      case 'wait':
        return `${tag(r.idx)}: waiting ${duration(r.seconds)}`;
      case 'step-end':
        return `${tag(r.idx)}  ${r.status === 'completed' ? describe(r.summary) : r.status.toUpperCase()}  (${duration(r.ms / 1000)})`;
      case 'event':
        return `  ${r.kind}${r.code ? ` [${r.code}]` : ''}: ${r.message}`;
      case 'state':
        return r.state === 'paused' ? '  paused' : null;
      case 'stop':
        return `${r.status}${r.code && r.status !== 'completed' ? ` [${r.code}]` : ''}: ${r.reason}`;
      default:
        return null;
    }
  }
}

function describe(summary: Record<string, unknown>): string {
  return Object.entries(summary)
    .filter(([, v]) => typeof v === 'number' || typeof v === 'string')
    .map(([k, v]) => `${k} ${quantity(k, v)}`)
    .join(', ');
}

/** A record as one JSON line; measurement arrays are replaced by their length. */
export function recordJson(r: RunRecord): string {
  if (r.type !== 'measurement') return JSON.stringify(r);
  return JSON.stringify({ ...r, measurement: brief(r.measurement) });
}

function brief(m: Measurement): unknown {
  return JSON.parse(
    JSON.stringify(m, (_k, v: unknown) =>
      ArrayBuffer.isView(v) ? { length: (v as Uint8Array).length } : v,
    ),
  ) as unknown;
}
