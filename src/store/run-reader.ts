/**
 * Queries over a database: runs, their steps, events and measurements. Works on the writer's
 * handle and on a read-only one (`runs ls`, `runs show`, `export`, a second process).
 */
import type Database from 'better-sqlite3';
import type { Region } from '../../drivers/driver.ts';
import { BenchError } from '../../drivers/driver.ts';
import { fromBlob } from './blob.ts';
import type { ArtifactMeasurement, Measurement, ModelVersionMeasurement } from './measurement.ts';

/** A row of `runs`, with its chip. */
export interface RunRow {
  id: number;
  uuid: string;
  campaign_name: string;
  campaign_text: string;
  campaign_path: string | null;
  connection: 'emulator' | 'serial';
  port: string | null;
  profile: string | null;
  seed: number | null;
  clock: string | null;
  chip_state: string | null;
  host: string;
  pid: number;
  software_version: string;
  status: string;
  exit_reason: string | null;
  error_code: string | null;
  started_at: string;
  ended_at: string | null;
  resumes: number;
  /** Over a serial port: the host's link counters at the end of the run, as JSON. */
  link_json: string | null;
  chip_model: string | null;
  chip_serial: string | null;
}

/** A row of `steps`. */
export interface StepRow {
  id: number;
  idx: number;
  kind: string;
  name: string;
  params_json: string;
  status: string;
  units: number;
  checkpoint: number;
  state_json: string | null;
  summary_json: string | null;
  started_at: string | null;
  ended_at: string | null;
}

/** A row of `events`. */
export interface EventRow {
  at: string;
  step_idx: number | null;
  kind: string;
  code: string | null;
  message: string;
}

/** A stored conductance map. */
export interface StoredMap {
  stepIdx: number;
  unit: number;
  label: string;
  region: Region;
  average: number;
  timeS: number;
  microS: Float32Array;
}

/** The per-cell programming results of one step, column by column. */
export interface StoredProgram {
  stepIdx: number;
  unit: Int32Array;
  row: Int32Array;
  col: Int32Array;
  targetMicroS: Float32Array;
  finalMicroS: Float32Array;
  pulses: Uint16Array;
  converged: Uint8Array;
}

/** A stored MVM batch. */
export interface StoredMvm {
  stepIdx: number;
  unit: number;
  firstSample: number;
  batch: number;
  rows: number[];
  cols: number[];
  mode: string;
  precisionBits: number;
  inputs: Uint8Array;
  counts: Uint8Array;
  labels: Int32Array | null;
  energyJ: number;
  latencyS: number;
}

/** A stored metric. */
export interface StoredMetric {
  stepIdx: number;
  name: string;
  value: number;
  unit: string;
}

interface MapRowDb {
  idx: number;
  unit: number;
  label: string;
  row0: number;
  col0: number;
  rows: number;
  cols: number;
  average: number;
  chip_time_s: number;
  micro_s: Uint8Array;
}

interface MvmRowDb {
  idx: number;
  unit: number;
  first_sample: number;
  batch: number;
  rows_json: string;
  cols_json: string;
  mode: string;
  precision_bits: number;
  inputs: Uint8Array;
  counts: Uint8Array;
  labels: Uint8Array | null;
  energy_j: number;
  latency_s: number;
}

const RUN_SELECT = `SELECT r.*, c.model AS chip_model, c.serial AS chip_serial
  FROM runs r LEFT JOIN chips c ON c.id = r.chip_id`;

/** Prepared queries over one database handle. */
export class RunReader {
  private readonly q;

  /**
   * `db`: an open database. `note`: set when it could only be opened in a degraded way (a
   * snapshot of a database in a read-only directory); commands print it on stderr.
   */
  constructor(
    readonly db: Database.Database,
    readonly note?: string,
  ) {
    const p = (sql: string) => db.prepare(sql);
    this.q = {
      runs: p(`${RUN_SELECT} ORDER BY r.started_at, r.id`),
      byUuid: p(`${RUN_SELECT} WHERE r.uuid = ?`),
      byPrefix: p(`${RUN_SELECT} WHERE r.uuid LIKE ? || '%'`),
      steps: p('SELECT * FROM steps WHERE run_id = ? ORDER BY idx'),
      events: p(
        'SELECT at, step_idx, kind, code, message FROM events WHERE run_id = ? ORDER BY id',
      ),
      maps: p(`SELECT s.idx, m.* FROM conductance_maps m JOIN steps s ON s.id = m.step_id
        WHERE s.run_id = ? AND (? IS NULL OR s.idx = ?) ORDER BY s.idx, m.unit, m.label`),
      cells: p(`SELECT unit, row, col, target_micro_s, final_micro_s, pulses, converged
        FROM program_cells WHERE step_id = ? ORDER BY row, col`),
      cellSteps:
        p(`SELECT DISTINCT s.id, s.idx FROM steps s JOIN program_cells p ON p.step_id = s.id
        WHERE s.run_id = ? ORDER BY s.idx`),
      mvm: p(`SELECT s.idx, b.* FROM mvm_batches b JOIN steps s ON s.id = b.step_id
        WHERE s.run_id = ? AND (? IS NULL OR s.idx = ?) ORDER BY s.idx, b.unit`),
      metrics:
        p(`SELECT s.idx, m.name, m.value, m.unit FROM metrics m JOIN steps s ON s.id = m.step_id
        WHERE s.run_id = ? ORDER BY s.idx, m.id`),
      noise: p(`SELECT s.idx, n.model_json FROM noise_models n JOIN steps s ON s.id = n.step_id
        WHERE s.run_id = ? ORDER BY s.idx`),
      chip: p(`SELECT c.info_json, c.profile FROM runs r JOIN chips c ON c.id = r.chip_id
        WHERE r.id = ?`),
      models: p(`SELECT s.idx, v.name, v.source, v.sha256, v.shape_json FROM model_versions v
        JOIN steps s ON s.id = v.step_id WHERE s.run_id = ? ORDER BY s.idx`),
      stepModels: p(`SELECT v.* FROM model_versions v JOIN steps s ON s.id = v.step_id
        WHERE s.run_id = ? AND s.idx = ? ORDER BY v.id`),
      allModels: p(`SELECT s.idx, v.* FROM model_versions v JOIN steps s ON s.id = v.step_id
        WHERE s.run_id = ? ORDER BY s.idx, v.id`),
      artifacts: p(`SELECT s.idx, a.* FROM artifacts a JOIN steps s ON s.id = a.step_id
        WHERE s.run_id = ? AND (? IS NULL OR s.idx = ?) ORDER BY s.idx, a.unit, a.id`),
      counts: p(`SELECT
        (SELECT count(*) FROM conductance_maps m JOIN steps s ON s.id = m.step_id WHERE s.run_id = @run) AS maps,
        (SELECT count(*) FROM program_cells p JOIN steps s ON s.id = p.step_id WHERE s.run_id = @run) AS cells,
        (SELECT count(*) FROM mvm_batches b JOIN steps s ON s.id = b.step_id WHERE s.run_id = @run) AS batches,
        (SELECT coalesce(sum(b.batch), 0) FROM mvm_batches b JOIN steps s ON s.id = b.step_id WHERE s.run_id = @run) AS vectors`),
    };
  }

  /** Every run, oldest first. */
  listRuns(): RunRow[] {
    return this.q.runs.all() as RunRow[];
  }

  /** The run named by its uuid or a unique prefix of it (at least 4 characters). */
  findRun(ref: string): RunRow {
    const exact = this.q.byUuid.get(ref) as RunRow | undefined;
    if (exact) return exact;
    const matches = ref.length >= 4 ? (this.q.byPrefix.all(ref) as RunRow[]) : [];
    if (matches.length === 1) return matches[0]!;
    throw new BenchError(
      'INVALID_ARGUMENT',
      matches.length > 1
        ? `run '${ref}' is ambiguous: ${matches.map((m) => m.uuid).join(', ')}`
        : `no run '${ref}' in the database (see 'rram-bench runs ls')`,
      { run: ref },
    );
  }

  /** The run's steps in plan order. */
  steps(runId: number): StepRow[] {
    return this.q.steps.all(runId) as StepRow[];
  }

  /** The run's events in order. */
  events(runId: number): EventRow[] {
    return this.q.events.all(runId) as EventRow[];
  }

  /** Counts of what the run stored. */
  counts(runId: number): { maps: number; cells: number; batches: number; vectors: number } {
    return this.q.counts.get({ run: runId }) as {
      maps: number;
      cells: number;
      batches: number;
      vectors: number;
    };
  }

  /** Conductance maps of the run (of one step when `stepIdx` is given). */
  maps(runId: number, stepIdx?: number): StoredMap[] {
    const s = stepIdx ?? null;
    return (this.q.maps.all(runId, s, s) as MapRowDb[]).map((r) => ({
      stepIdx: r.idx,
      unit: r.unit,
      label: r.label,
      region: { row: r.row0, col: r.col0, rows: r.rows, cols: r.cols },
      average: r.average,
      timeS: r.chip_time_s,
      microS: fromBlob(r.micro_s, Float32Array),
    }));
  }

  /** Per-cell programming results, one entry per program step. */
  programs(runId: number): StoredProgram[] {
    const steps = this.q.cellSteps.all(runId) as { id: number; idx: number }[];
    return steps.map(({ id, idx }) => this.program(id, idx));
  }

  private program(stepId: number, stepIdx: number): StoredProgram {
    const rows = this.q.cells.raw().all(stepId) as number[][];
    const n = rows.length;
    const out: StoredProgram = {
      stepIdx,
      unit: new Int32Array(n),
      row: new Int32Array(n),
      col: new Int32Array(n),
      targetMicroS: new Float32Array(n),
      finalMicroS: new Float32Array(n),
      pulses: new Uint16Array(n),
      converged: new Uint8Array(n),
    };
    rows.forEach((r, i) => {
      out.unit[i] = r[0]!;
      out.row[i] = r[1]!;
      out.col[i] = r[2]!;
      out.targetMicroS[i] = r[3]!;
      out.finalMicroS[i] = r[4]!;
      out.pulses[i] = r[5]!;
      out.converged[i] = r[6]!;
    });
    return out;
  }

  /** MVM batches of the run (of one step when `stepIdx` is given). */
  mvmBatches(runId: number, stepIdx?: number): StoredMvm[] {
    const s = stepIdx ?? null;
    return (this.q.mvm.all(runId, s, s) as MvmRowDb[]).map((r) => ({
      stepIdx: r.idx,
      unit: r.unit,
      firstSample: r.first_sample,
      batch: r.batch,
      rows: JSON.parse(r.rows_json) as number[],
      cols: JSON.parse(r.cols_json) as number[],
      mode: r.mode,
      precisionBits: r.precision_bits,
      inputs: fromBlob(r.inputs, Uint8Array),
      counts: fromBlob(r.counts, Uint8Array),
      labels: r.labels ? fromBlob(r.labels, Int32Array) : null,
      energyJ: r.energy_j,
      latencyS: r.latency_s,
    }));
  }

  /** Metrics of the run. */
  metrics(runId: number): StoredMetric[] {
    return (
      this.q.metrics.all(runId) as { idx: number; name: string; value: number; unit: string }[]
    ).map((r) => ({ stepIdx: r.idx, name: r.name, value: r.value, unit: r.unit }));
  }

  /** Noise models of the run. */
  noiseModels(runId: number): { stepIdx: number; model: unknown }[] {
    return (this.q.noise.all(runId) as { idx: number; model_json: string }[]).map((r) => ({
      stepIdx: r.idx,
      model: JSON.parse(r.model_json) as unknown,
    }));
  }

  /** The run's chip as identified (`ChipInfo` JSON) and the profile it was first opened with. */
  chip(runId: number): { info: unknown; profile: string | null } | null {
    const r = this.q.chip.get(runId) as { info_json: string; profile: string | null } | undefined;
    return r ? { info: JSON.parse(r.info_json) as unknown, profile: r.profile } : null;
  }

  /** Model/weight versions of the run (without the weights). */
  modelVersions(
    runId: number,
  ): { stepIdx: number; name: string; source: string; sha256: string; shape: number[] }[] {
    return (
      this.q.models.all(runId) as {
        idx: number;
        name: string;
        source: string;
        sha256: string;
        shape_json: string;
      }[]
    ).map((r) => ({
      stepIdx: r.idx,
      name: r.name,
      source: r.source,
      sha256: r.sha256,
      shape: JSON.parse(r.shape_json) as number[],
    }));
  }

  /** A step's model versions, with their weights. */
  stepModelVersions(runId: number, stepIdx: number): ModelVersionMeasurement[] {
    return (this.q.stepModels.all(runId, stepIdx) as ModelRow[]).map(modelRow);
  }

  /** Every model version of the run, with its weights and step, in step order. */
  allModelVersions(runId: number): { stepIdx: number; model: ModelVersionMeasurement }[] {
    return (this.q.allModels.all(runId) as (ModelRow & { idx: number })[]).map((r) => ({
      stepIdx: r.idx,
      model: modelRow(r),
    }));
  }

  /** Artifacts of the run (or of one step), in step and unit order. */
  artifacts(
    runId: number,
    stepIdx?: number,
  ): { stepIdx: number; unit: number; measurement: ArtifactMeasurement }[] {
    const rows = this.q.artifacts.all(runId, stepIdx ?? null, stepIdx ?? null) as {
      idx: number;
      unit: number;
      name: string;
      dtype: string;
      shape_json: string;
      meta_json: string | null;
      data: Buffer;
    }[];
    return rows.map((r) => ({
      stepIdx: r.idx,
      unit: r.unit,
      measurement: {
        kind: 'artifact',
        name: r.name,
        data:
          r.dtype === 'f4'
            ? fromBlob(r.data, Float32Array)
            : r.dtype === 'u1'
              ? fromBlob(r.data, Uint8Array)
              : fromBlob(r.data, Int32Array),
        shape: JSON.parse(r.shape_json) as number[],
        ...(r.meta_json !== null && { meta: JSON.parse(r.meta_json) as unknown }),
      },
    }));
  }

  /**
   * The measurements a step committed unit by unit (maps, programmed cells, MVM batches), as
   * the step produced them — what a resumed step that skips committed units aggregates over.
   */
  unitMeasurements(runId: number, stepIdx: number): { unit: number; measurement: Measurement }[] {
    const out: { unit: number; measurement: Measurement }[] = [];
    for (const m of this.maps(runId, stepIdx))
      if (m.unit >= 0)
        out.push({
          unit: m.unit,
          measurement: {
            kind: 'map',
            label: m.label,
            map: { region: m.region, microS: m.microS, average: m.average, timeS: m.timeS },
          },
        });
    const step = this.steps(runId).find((s) => s.idx === stepIdx);
    if (step) {
      const p = this.program(step.id, stepIdx);
      const units = [...new Set(p.unit)];
      for (const u of units) {
        const idx = [...p.unit.keys()].filter((i) => p.unit[i] === u);
        const first = idx[0]!;
        const rows = new Set(idx.map((i) => p.row[i]!)).size;
        const cols = idx.length / rows;
        const pick = <T extends Float32Array | Uint16Array | Uint8Array>(
          a: T,
          C: new (n: number) => T,
        ) => {
          const o = new C(idx.length);
          idx.forEach((i, k) => (o[k] = a[i]!));
          return o;
        };
        out.push({
          unit: u,
          measurement: {
            kind: 'program',
            targetsMicroS: pick(p.targetMicroS, Float32Array),
            result: {
              region: { row: p.row[first]!, col: p.col[first]!, rows, cols },
              finalMicroS: pick(p.finalMicroS, Float32Array),
              pulses: pick(p.pulses, Uint16Array),
              converged: pick(p.converged, Uint8Array),
            },
          },
        });
      }
    }
    for (const b of this.mvmBatches(runId, stepIdx))
      out.push({
        unit: b.unit,
        measurement: {
          kind: 'mvm',
          firstSample: b.firstSample,
          rows: b.rows,
          cols: b.cols,
          inputs: b.inputs,
          ...(b.labels && { labels: b.labels }),
          result: {
            mode: b.mode as 'COUNT' | 'TTFS',
            precisionBits: b.precisionBits,
            batch: b.batch,
            values: b.counts,
            energyJ: b.energyJ,
            latencyS: b.latencyS,
          },
        },
      });
    // Model versions are written at a step's end (unit −1), artifacts with their unit.
    for (const v of this.stepModelVersions(runId, stepIdx)) out.push({ unit: -1, measurement: v });
    for (const a of this.artifacts(runId, stepIdx))
      out.push({ unit: a.unit, measurement: a.measurement });
    // A noise model is committed with the characterize step's one unit (the table keeps no unit).
    for (const n of this.noiseModels(runId))
      if (n.stepIdx === stepIdx)
        out.push({ unit: 0, measurement: { kind: 'noise-model', model: n.model } });
    return out.sort((a, b) => a.unit - b.unit);
  }

  /** Close the handle. */
  close(): void {
    if (this.db.open) this.db.close();
  }
}

interface ModelRow {
  name: string;
  source: string;
  sha256: string;
  shape_json: string;
  weights: Buffer;
  stage: string | null;
  parent: string | null;
  meta_json: string | null;
}

function modelRow(r: ModelRow): ModelVersionMeasurement {
  return {
    kind: 'model-version',
    name: r.name,
    source: r.source,
    sha256: r.sha256,
    shape: JSON.parse(r.shape_json) as number[],
    weights: fromBlob(r.weights, Float32Array),
    ...(r.stage !== null && { stage: r.stage }),
    ...(r.parent !== null && { parent: r.parent }),
    ...(r.meta_json !== null && { meta: JSON.parse(r.meta_json) as unknown }),
  };
}
