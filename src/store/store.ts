/**
 * The one storage module: a SQLite file (better-sqlite3) holding chips, runs, steps and every
 * measurement. One writer per process; WAL so readers (another process, `runs show`) never block
 * it; statements prepared once; each unit of work is one transaction holding its measurements
 * and the step's checkpoint, so a crash leaves either both or neither. `synchronous = NORMAL`:
 * in WAL mode a killed process loses nothing committed (a power cut may lose the last
 * transactions, never consistency).
 */
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import type { ChipInfo, LinkCounters } from '../../drivers/driver.ts';
import { BenchError } from '../../drivers/driver.ts';
import { toBlob } from './blob.ts';
import type { ArtifactData, Measurement } from './measurement.ts';
import { migrate } from './migrations.ts';
import { RunReader } from './run-reader.ts';

export { DEFAULT_DB_PATH } from './default-db-path.ts';

/** How a run ended (or that it has not). */
export type RunStatus = 'running' | 'completed' | 'failed' | 'aborted' | 'crashed';

/** Status of a step. */
export type StepStatus = 'pending' | 'running' | 'completed' | 'failed' | 'aborted';

/** What a new run row records. */
export interface NewRun {
  uuid: string;
  campaignName: string;
  /** The campaign file's full text, so the run can be resumed and audited without the file. */
  campaignText: string;
  campaignPath?: string;
  chipId: number;
  connection: 'emulator' | 'serial';
  port?: string;
  profile?: string;
  seed?: number;
  clock?: string;
  chipState?: string;
  softwareVersion: string;
}

/** A step of a run's plan, as stored before it runs. */
export interface PlannedStepRow {
  idx: number;
  kind: string;
  name: string;
  params: unknown;
  units: number;
}

const now = () => new Date().toISOString();
const json = (v: unknown) => JSON.stringify(v);

/** True when process `pid` is alive on this host. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The writer's handle on a database file. */
export class Store {
  /** Queries (also usable on a read-only handle). */
  readonly reader: RunReader;
  private readonly stmt;
  private readonly stepIds = new Map<string, number>();

  private constructor(
    readonly db: Database.Database,
    readonly path: string,
  ) {
    this.reader = new RunReader(db);
    const p = (sql: string) => db.prepare(sql);
    this.stmt = {
      chipFind: p('SELECT id FROM chips WHERE model = ? AND serial = ?'),
      chipInsert:
        p(`INSERT INTO chips (model, serial, firmware_version, protocol_version, rows, cols,
        emulated, profile, info_json, first_seen, last_seen) VALUES (?,?,?,?,?,?,?,?,?,?,?)`),
      chipSeen: p(
        'UPDATE chips SET last_seen = ?, firmware_version = ?, info_json = ? WHERE id = ?',
      ),
      runInsert: p(`INSERT INTO runs (uuid, campaign_name, campaign_text, campaign_path, chip_id,
        connection, port, profile, seed, clock, chip_state, host, pid, software_version, status,
        started_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,'running',?)`),
      runResume: p(`UPDATE runs SET status = 'running', exit_reason = NULL, error_code = NULL,
        ended_at = NULL, pid = ?, host = ?, resumes = resumes + 1 WHERE id = ?`),
      runStop: p(
        'UPDATE runs SET status = ?, exit_reason = ?, error_code = ?, ended_at = ?, link_json = coalesce(?, link_json) WHERE id = ?',
      ),
      runsRunning: p("SELECT id, uuid, host, pid FROM runs WHERE status = 'running'"),
      stepInsert: p(`INSERT INTO steps (run_id, idx, kind, name, params_json, status, units)
        VALUES (?,?,?,?,?,'pending',?)`),
      stepId: p('SELECT id FROM steps WHERE run_id = ? AND idx = ?'),
      stepStart: p(`UPDATE steps SET status = 'running', started_at = coalesce(started_at, ?),
        state_json = coalesce(state_json, ?) WHERE id = ?`),
      stepCheckpoint: p('UPDATE steps SET checkpoint = ? WHERE id = ?'),
      stepEnd: p('UPDATE steps SET status = ?, summary_json = ?, ended_at = ? WHERE id = ?'),
      map: p(`INSERT INTO conductance_maps (step_id, unit, label, row0, col0, rows, cols, average,
        chip_time_s, micro_s) VALUES (?,?,?,?,?,?,?,?,?,?)`),
      cell: p(`INSERT INTO program_cells (step_id, unit, row, col, target_micro_s, final_micro_s,
        pulses, converged) VALUES (?,?,?,?,?,?,?,?)`),
      mvm: p(`INSERT INTO mvm_batches (step_id, unit, first_sample, batch, rows_json, cols_json,
        mode, precision_bits, inputs, counts, labels, energy_j, latency_s)
        VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`),
      noise: p('INSERT INTO noise_models (step_id, model_json) VALUES (?,?)'),
      model: p(`INSERT INTO model_versions (step_id, name, source, sha256, shape_json, weights,
        stage, parent, meta_json) VALUES (?,?,?,?,?,?,?,?,?)`),
      artifact: p(`INSERT INTO artifacts (step_id, unit, name, dtype, shape_json, meta_json, data)
        VALUES (?,?,?,?,?,?,?)`),
      metric: p('INSERT INTO metrics (step_id, name, value, unit) VALUES (?,?,?,?)'),
      event: p(`INSERT INTO events (run_id, step_idx, at, kind, code, message, data_json)
        VALUES (?,?,?,?,?,?,?)`),
    };
  }

  /**
   * Open (creating if needed) the database at `path` for writing: WAL, migrations, and runs
   * left `running` by a process that no longer exists marked `crashed` (their uuids returned
   * in `crashed`).
   */
  static open(path: string): Store {
    let db: Database.Database;
    try {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      db = new Database(path);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 10000');
      db.pragma('foreign_keys = ON');
      migrate(db, path);
    } catch (e) {
      if (e instanceof BenchError) throw e;
      throw new BenchError('IO', `cannot open database ${path}: ${(e as Error).message}`, { path });
    }
    const store = new Store(db, path);
    store.crashed = store.markCrashed();
    return store;
  }

  /** Open an existing database for reading only (`runs`, `export`); never creates it. */
  static openReader(path: string): RunReader {
    if (path !== ':memory:' && !existsSync(path))
      throw new BenchError('INVALID_ARGUMENT', `no database at ${path} (give --db FILE)`, { path });
    let db: Database.Database | undefined;
    try {
      db = new Database(path, { readonly: true, fileMustExist: true });
      db.pragma('busy_timeout = 10000');
      // SQLite opens lazily: read once so a database it cannot read fails here.
      db.prepare('SELECT count(*) FROM sqlite_master').get();
      return new RunReader(db);
    } catch (e) {
      db?.close();
      const code = (e as { code?: string }).code;
      if (code === 'SQLITE_READONLY_DIRECTORY' || code === 'SQLITE_CANTOPEN')
        return Store.snapshotReader(path, e as Error);
      throw new BenchError('IO', `cannot open database ${path}: ${(e as Error).message}`, { path });
    }
  }

  /**
   * A WAL database in a directory this user cannot write (a shared lab archive): SQLite cannot
   * create the `-shm` index it needs even to read. Read the file into memory instead, as a
   * rollback-journal database (header bytes 18–19), read-only. Refused when a non-empty `-wal`
   * holds transactions the file does not (the writer is still running or crashed).
   */
  private static snapshotReader(path: string, cause: Error): RunReader {
    const wal = `${path}-wal`;
    if (existsSync(wal) && statSync(wal).size > 0)
      throw new BenchError(
        'IO',
        `cannot open database ${path} read-only: its directory is not writable and ${wal} holds uncommitted pages (${cause.message})`,
        { path },
      );
    try {
      const bytes = readFileSync(path);
      if (bytes[18] === 2) bytes[18] = 1;
      if (bytes[19] === 2) bytes[19] = 1;
      const db = new Database(bytes, { readonly: true });
      db.prepare('SELECT count(*) FROM sqlite_master').get();
      return new RunReader(
        db,
        `${dirname(path)} is not writable: reading a snapshot of ${path} in memory (read-only)`,
      );
    } catch (e) {
      throw new BenchError('IO', `cannot open database ${path}: ${(e as Error).message}`, { path });
    }
  }

  /** Uuids of the runs found orphaned and marked `crashed` when this store opened. */
  crashed: string[] = [];

  private markCrashed(): string[] {
    const host = hostname();
    const rows = this.stmt.runsRunning.all() as {
      id: number;
      uuid: string;
      host: string;
      pid: number;
    }[];
    const dead = rows.filter((r) => r.host !== host || (r.pid !== process.pid && !alive(r.pid)));
    this.db.transaction(() => {
      for (const r of dead) {
        this.stmt.runStop.run(
          'crashed',
          'the process stopped without a stop record',
          null,
          now(),
          null,
          r.id,
        );
        this.stmt.event.run(
          r.id,
          null,
          now(),
          'crashed',
          null,
          `found running at start-up (pid ${r.pid} on ${r.host} is gone): marked crashed`,
          null,
        );
      }
    })();
    return dead.map((r) => r.uuid);
  }

  /** The chip's row id, inserting it on first sight and refreshing `last_seen`. */
  upsertChip(info: ChipInfo, profile?: string): number {
    const t = now();
    const found = this.stmt.chipFind.get(info.model, info.serial) as { id: number } | undefined;
    if (found) {
      this.stmt.chipSeen.run(t, info.firmwareVersion, json(info), found.id);
      return found.id;
    }
    return Number(
      this.stmt.chipInsert.run(
        info.model,
        info.serial,
        info.firmwareVersion,
        info.protocolVersion,
        info.rows,
        info.cols,
        info.emulated ? 1 : 0,
        profile ?? null,
        json(info),
        t,
        t,
      ).lastInsertRowid,
    );
  }

  /** Insert a run (status `running`) and its planned steps in one transaction; returns the run id. */
  createRun(run: NewRun, steps: readonly PlannedStepRow[]): number {
    return this.db.transaction(() => {
      const id = Number(
        this.stmt.runInsert.run(
          run.uuid,
          run.campaignName,
          run.campaignText,
          run.campaignPath ?? null,
          run.chipId,
          run.connection,
          run.port ?? null,
          run.profile ?? null,
          run.seed ?? null,
          run.clock ?? null,
          run.chipState ?? null,
          hostname(),
          process.pid,
          run.softwareVersion,
          now(),
        ).lastInsertRowid,
      );
      for (const s of steps)
        this.stmt.stepInsert.run(id, s.idx, s.kind, s.name, json(s.params), s.units);
      this.stmt.event.run(id, null, now(), 'start', null, `run ${run.uuid} started`, null);
      return id;
    })();
  }

  /** Mark a stopped run `running` again for `--resume`, with an event saying so. */
  resumeRun(runId: number, message: string): void {
    this.db.transaction(() => {
      this.stmt.runResume.run(process.pid, hostname(), runId);
      this.stmt.event.run(runId, null, now(), 'resumed', null, message, null);
    })();
  }

  private stepId(runId: number, idx: number): number {
    const key = `${runId}/${idx}`;
    let id = this.stepIds.get(key);
    if (id === undefined) {
      const row = this.stmt.stepId.get(runId, idx) as { id: number } | undefined;
      if (!row) throw new BenchError('INVALID_ARGUMENT', `run ${runId} has no step ${idx}`);
      id = row.id;
      this.stepIds.set(key, id);
    }
    return id;
  }

  /** A step starts (or restarts on resume); `state` is kept from its first start. */
  startStep(runId: number, idx: number, state: unknown): void {
    this.stmt.stepStart.run(
      now(),
      state === undefined ? null : json(state),
      this.stepId(runId, idx),
    );
  }

  /** Commit one unit of work: its measurements and the step's new checkpoint, atomically. */
  commitUnit(runId: number, idx: number, unit: number, measurements: readonly Measurement[]): void {
    const stepId = this.stepId(runId, idx);
    this.db.transaction(() => {
      for (const m of measurements) this.insert(stepId, unit, m);
      this.stmt.stepCheckpoint.run(unit + 1, stepId);
    })();
  }

  /** End a step with its summary and final measurements (metrics, noise model), atomically. */
  finishStep(
    runId: number,
    idx: number,
    status: StepStatus,
    summary: unknown,
    measurements: readonly Measurement[] = [],
  ): void {
    const stepId = this.stepId(runId, idx);
    this.db.transaction(() => {
      for (const m of measurements) this.insert(stepId, -1, m);
      this.stmt.stepEnd.run(status, json(summary ?? null), now(), stepId);
    })();
  }

  /** Record an event (error, interruption, reconnect, pause…). */
  addEvent(
    runId: number,
    stepIdx: number | null,
    kind: string,
    message: string,
    code?: string,
    data?: unknown,
  ): void {
    this.stmt.event.run(
      runId,
      stepIdx,
      now(),
      kind,
      code ?? null,
      message,
      data === undefined ? null : json(data),
    );
  }

  /** The stop record: the run's final status and why, plus a `stop` event. */
  stopRun(
    runId: number,
    status: Exclude<RunStatus, 'running'>,
    reason: string,
    code?: string,
    link?: LinkCounters,
  ): void {
    this.db.transaction(() => {
      this.stmt.runStop.run(
        status,
        reason,
        code ?? null,
        now(),
        link ? JSON.stringify(link) : null,
        runId,
      );
      this.stmt.event.run(runId, null, now(), 'stop', code ?? null, `${status}: ${reason}`, null);
    })();
  }

  private insert(stepId: number, unit: number, m: Measurement): void {
    const s = this.stmt;
    switch (m.kind) {
      case 'map': {
        const r = m.map.region;
        s.map.run(
          stepId,
          unit,
          m.label,
          r.row,
          r.col,
          r.rows,
          r.cols,
          m.map.average,
          m.map.timeS,
          toBlob(m.map.microS),
        );
        return;
      }
      case 'program': {
        const { region, finalMicroS, pulses, converged } = m.result;
        const t = m.targetsMicroS;
        const cell = s.cell;
        for (let i = 0, r = 0; r < region.rows; r++)
          for (let c = 0; c < region.cols; c++, i++)
            cell.run(
              stepId,
              unit,
              region.row + r,
              region.col + c,
              t[i]!,
              finalMicroS[i]!,
              pulses[i]!,
              converged[i]!,
            );
        return;
      }
      case 'mvm':
        s.mvm.run(
          stepId,
          unit,
          m.firstSample,
          m.result.batch,
          json(m.rows),
          json(m.cols),
          m.result.mode,
          m.result.precisionBits,
          toBlob(m.inputs),
          toBlob(m.result.values),
          m.labels ? toBlob(m.labels) : null,
          m.result.energyJ,
          m.result.latencyS,
        );
        return;
      case 'noise-model':
        s.noise.run(stepId, json(m.model));
        return;
      case 'model-version':
        s.model.run(
          stepId,
          m.name,
          m.source,
          m.sha256,
          json(m.shape),
          toBlob(m.weights),
          m.stage ?? null,
          m.parent ?? null,
          m.meta === undefined ? null : json(m.meta),
        );
        return;
      case 'artifact':
        s.artifact.run(
          stepId,
          unit,
          m.name,
          artifactDtype(m.data),
          json(m.shape ?? [m.data.length]),
          m.meta === undefined ? null : json(m.meta),
          toBlob(m.data),
        );
        return;
      case 'metric':
        s.metric.run(stepId, m.name, m.value, m.unit);
        return;
    }
  }

  /** Close the file (checkpointing the WAL into it). */
  close(): void {
    if (this.db.open) this.db.close();
  }
}

/** The stored dtype name of an artifact's array. */
function artifactDtype(a: ArtifactData): 'f4' | 'u1' | 'i4' {
  return a instanceof Float32Array ? 'f4' : a instanceof Uint8Array ? 'u1' : 'i4';
}
