/**
 * A stored run (finished, or running in another process) as dashboard updates, rebuilt from the
 * database: the same panels `rram-bench run` shows live — steps with state, duration and
 * summary, the last maps and programmed cells, the error histogram, metrics, and events. Times
 * are the stored wall-clock times (ms since the epoch).
 */
import type { Region } from '../../drivers/driver.ts';
import type { RunReader, RunRow } from '../store/run-reader.ts';
import type { JobOutcome, JobUpdate } from '../ui/job-state.ts';
import { describe } from './run-updates.ts';

const time = (iso: string | null | undefined): number | undefined =>
  iso ? Date.parse(iso) : undefined;

/** `program` updates need a region: the cells' bounding box, NaN where a cell was not programmed. */
function programUpdate(p: {
  row: Int32Array;
  col: Int32Array;
  targetMicroS: Float32Array;
  finalMicroS: Float32Array;
}): JobUpdate | undefined {
  const n = p.row.length;
  if (n === 0) return undefined;
  let r0 = Infinity;
  let r1 = -Infinity;
  let c0 = Infinity;
  let c1 = -Infinity;
  for (let i = 0; i < n; i++) {
    r0 = Math.min(r0, p.row[i]!);
    r1 = Math.max(r1, p.row[i]!);
    c0 = Math.min(c0, p.col[i]!);
    c1 = Math.max(c1, p.col[i]!);
  }
  const region: Region = { row: r0, col: c0, rows: r1 - r0 + 1, cols: c1 - c0 + 1 };
  const targets = new Float32Array(region.rows * region.cols).fill(NaN);
  const finals = new Float32Array(region.rows * region.cols).fill(NaN);
  for (let i = 0; i < n; i++) {
    const k = (p.row[i]! - r0) * region.cols + (p.col[i]! - c0);
    targets[k] = p.targetMicroS[i]!;
    finals[k] = p.finalMicroS[i]!;
  }
  return { kind: 'program', region, targetsMicroS: targets, finalMicroS: finals };
}

/** Every update that draws `run` as stored now. */
export function storedRunUpdates(reader: RunReader, run: RunRow): JobUpdate[] {
  const steps = reader.steps(run.id);
  const chip = `${run.chip_model ?? '?'} ${run.chip_serial ?? ''}`.trim();
  const out: JobUpdate[] = [
    {
      kind: 'job',
      title: `rram-bench view: ${run.campaign_name}`,
      steps: steps.map((s) => s.name),
      header: {
        run: run.uuid.slice(0, 8),
        campaign: run.campaign_name,
        chip,
        connection:
          run.connection === 'serial'
            ? `port ${run.port}`
            : `emulator ${run.profile}, seed ${run.seed}, ${run.clock} time`,
      },
      at: time(run.started_at),
    },
  ];
  const maps = reader.maps(run.id);
  const programs = reader.programs(run.id);
  const metrics = reader.metrics(run.id);
  for (const s of steps) {
    if (s.started_at === null) continue;
    out.push({ kind: 'step-start', index: s.idx, units: s.units, from: 0, at: time(s.started_at) });
    const params = JSON.parse(s.params_json) as { region?: Region };
    if (params.region) out.push({ kind: 'region', region: params.region });
    out.push({ kind: 'unit', index: s.idx, done: s.checkpoint, units: s.units });
    for (const p of programs.filter((x) => x.stepIdx === s.idx)) {
      const u = programUpdate(p);
      if (u) out.push(u, { kind: 'work', index: s.idx, cells: p.row.length });
    }
    for (const m of maps.filter((x) => x.stepIdx === s.idx))
      out.push({ kind: 'map', region: m.region, microS: m.microS });
    for (const m of metrics.filter((x) => x.stepIdx === s.idx))
      out.push({ kind: 'metric', name: m.name, value: m.value, unit: m.unit, step: s.idx });
    const ended = time(s.ended_at);
    if (s.status === 'completed')
      out.push({
        kind: 'step-done',
        index: s.idx,
        summary: describe(
          s.summary_json ? (JSON.parse(s.summary_json) as Record<string, unknown>) : {},
        ),
        ...(ended !== undefined && { ms: ended - time(s.started_at)! }),
        at: ended,
      });
  }
  for (const e of reader.events(run.id))
    out.push({
      kind: 'log',
      text: `${e.at.slice(11, 19)} ${e.step_idx !== null ? `${steps[e.step_idx]?.name ?? `step ${e.step_idx + 1}`}: ` : ''}${e.kind}${e.code ? ` [${e.code}]` : ''}: ${e.message}`,
      level: e.kind === 'error' ? 'error' : e.kind === 'interrupted' ? 'warn' : 'info',
    });
  if (run.status !== 'running') {
    const outcome: JobOutcome =
      run.status === 'completed' ? 'completed' : run.status === 'aborted' ? 'aborted' : 'failed';
    out.push({
      kind: 'finished',
      outcome,
      message: `${run.status === 'crashed' ? 'crashed: ' : ''}${run.exit_reason ?? ''}`,
      at: time(run.ended_at),
    });
  }
  return out;
}
