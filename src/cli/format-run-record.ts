/**
 * Plain progress lines for a campaign run (`rram-bench run` without the terminal UI), and the
 * NDJSON form of the records for `--json`. Both are subscribers of the engine's record stream.
 */
import type { RunRecord, StepOutline } from '../campaign/run-record.ts';
import type { Measurement } from '../store/measurement.ts';
import { num } from './format.ts';

/** Turns records into lines; `null` for records that print nothing. */
export class RunLineFormatter {
  private steps: StepOutline[] = [];

  /** The line for `r`, or null. */
  line(r: RunRecord): string | null {
    const tag = (idx: number) => `[${idx + 1}/${this.steps.length}] ${this.steps[idx]?.name ?? ''}`;
    switch (r.type) {
      case 'start': {
        this.steps = r.steps;
        const done = r.steps.filter((s) => s.completed).length;
        const resumed = r.resumed
          ? ` — resumed: ${done} steps done${r.replay ? ', replaying committed work on the emulated chip' : ''}`
          : '';
        return `run ${r.runUuid}: campaign '${r.campaign}', ${r.steps.length} steps${resumed}`;
      }
      case 'step-start':
        return r.from > 0 ? `${tag(r.idx)}: continuing at unit ${r.from + 1}/${r.units}` : null;
      case 'checkpoint':
        return r.units > 1 ? `${tag(r.idx)}: ${r.unit + 1}/${r.units} committed` : null;
      case 'step-end':
        return `${tag(r.idx)}  ${r.status === 'completed' ? describe(r.summary) : r.status.toUpperCase()}  (${num(r.ms)} ms)`;
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
    .map(([k, v]) => `${k} ${typeof v === 'number' ? num(v) : String(v)}`)
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
