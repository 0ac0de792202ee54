/**
 * The database schema as numbered migrations. `PRAGMA user_version` holds how many have been
 * applied; opening a database applies the missing ones in order, each in one transaction, so
 * an old file is upgraded in place and a crash mid-upgrade leaves the previous version intact.
 * Never edit a released migration: append a new one. docs/data-model.md documents every column.
 */
import type Database from 'better-sqlite3';
import { BenchError } from '../../drivers/driver.ts';

/** Migration N (1-based) is `migrations[N - 1]`. */
export const migrations: readonly string[] = [
  // 1: the initial schema.
  `
  CREATE TABLE chips (
    id INTEGER PRIMARY KEY,
    model TEXT NOT NULL,
    serial TEXT NOT NULL,
    firmware_version TEXT NOT NULL,
    protocol_version INTEGER NOT NULL,
    rows INTEGER NOT NULL,
    cols INTEGER NOT NULL,
    emulated INTEGER NOT NULL,
    profile TEXT,
    info_json TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    UNIQUE (model, serial)
  );
  CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    uuid TEXT NOT NULL UNIQUE,
    campaign_name TEXT NOT NULL,
    campaign_text TEXT NOT NULL,
    campaign_path TEXT,
    chip_id INTEGER REFERENCES chips(id),
    connection TEXT NOT NULL CHECK (connection IN ('emulator', 'serial')),
    port TEXT,
    profile TEXT,
    seed INTEGER,
    clock TEXT,
    chip_state TEXT,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    software_version TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'aborted', 'crashed')),
    exit_reason TEXT,
    error_code TEXT,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    resumes INTEGER NOT NULL DEFAULT 0
  );
  CREATE TABLE steps (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    idx INTEGER NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    params_json TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'completed', 'failed', 'aborted')),
    units INTEGER NOT NULL,
    checkpoint INTEGER NOT NULL DEFAULT 0,
    state_json TEXT,
    summary_json TEXT,
    started_at TEXT,
    ended_at TEXT,
    UNIQUE (run_id, idx)
  );
  CREATE TABLE conductance_maps (
    id INTEGER PRIMARY KEY,
    step_id INTEGER NOT NULL REFERENCES steps(id),
    unit INTEGER NOT NULL,
    label TEXT NOT NULL,
    row0 INTEGER NOT NULL,
    col0 INTEGER NOT NULL,
    rows INTEGER NOT NULL,
    cols INTEGER NOT NULL,
    average INTEGER NOT NULL,
    chip_time_s REAL NOT NULL,
    dtype TEXT NOT NULL DEFAULT 'float32',
    micro_s BLOB NOT NULL,
    UNIQUE (step_id, unit, label)
  );
  CREATE TABLE program_cells (
    step_id INTEGER NOT NULL REFERENCES steps(id),
    unit INTEGER NOT NULL,
    row INTEGER NOT NULL,
    col INTEGER NOT NULL,
    target_micro_s REAL NOT NULL,
    final_micro_s REAL NOT NULL,
    pulses INTEGER NOT NULL,
    converged INTEGER NOT NULL,
    PRIMARY KEY (step_id, row, col)
  ) WITHOUT ROWID;
  CREATE TABLE mvm_batches (
    id INTEGER PRIMARY KEY,
    step_id INTEGER NOT NULL REFERENCES steps(id),
    unit INTEGER NOT NULL,
    first_sample INTEGER NOT NULL,
    batch INTEGER NOT NULL,
    rows_json TEXT NOT NULL,
    cols_json TEXT NOT NULL,
    mode TEXT NOT NULL,
    precision_bits INTEGER NOT NULL,
    inputs BLOB NOT NULL,
    counts BLOB NOT NULL,
    labels BLOB,
    energy_j REAL NOT NULL,
    latency_s REAL NOT NULL,
    UNIQUE (step_id, unit)
  );
  CREATE TABLE noise_models (
    id INTEGER PRIMARY KEY,
    step_id INTEGER NOT NULL UNIQUE REFERENCES steps(id),
    model_json TEXT NOT NULL
  );
  CREATE TABLE model_versions (
    id INTEGER PRIMARY KEY,
    step_id INTEGER NOT NULL REFERENCES steps(id),
    name TEXT NOT NULL,
    source TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    shape_json TEXT NOT NULL,
    weights BLOB NOT NULL,
    UNIQUE (step_id, name)
  );
  CREATE TABLE metrics (
    id INTEGER PRIMARY KEY,
    step_id INTEGER NOT NULL REFERENCES steps(id),
    name TEXT NOT NULL,
    value REAL NOT NULL,
    unit TEXT NOT NULL,
    UNIQUE (step_id, name)
  );
  CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    step_idx INTEGER,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    code TEXT,
    message TEXT NOT NULL,
    data_json TEXT
  );
  CREATE INDEX events_run ON events(run_id);
  CREATE INDEX steps_run ON steps(run_id);
  `,
  // 2: the closed loop — model versions carry their stage and parent; artifacts hold what a
  // step needs back on resume that no other table models (training checkpoints, calibrations,
  // predictions), one typed array per (step, unit, name).
  `
  ALTER TABLE model_versions ADD COLUMN stage TEXT;
  ALTER TABLE model_versions ADD COLUMN parent TEXT;
  ALTER TABLE model_versions ADD COLUMN meta_json TEXT;
  CREATE TABLE artifacts (
    id INTEGER PRIMARY KEY,
    step_id INTEGER NOT NULL REFERENCES steps(id),
    unit INTEGER NOT NULL,
    name TEXT NOT NULL,
    dtype TEXT NOT NULL,
    shape_json TEXT NOT NULL,
    meta_json TEXT,
    data BLOB NOT NULL,
    UNIQUE (step_id, unit, name)
  );
  `,
  // 3: issue 11 — the host's link counters (retries, bad lines, reconnects…) of a run over a serial
  // port, as JSON (drivers/driver.ts LinkCounters); NULL on the emulator.
  `ALTER TABLE runs ADD COLUMN link_json TEXT;`,
];

/** The schema version this rram-bench writes. */
export const SCHEMA_VERSION = migrations.length;

/** Bring `db` to SCHEMA_VERSION; refuse a database written by a newer rram-bench. */
export function migrate(db: Database.Database, path: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION)
    throw new BenchError(
      'INVALID_ARGUMENT',
      `${path} has schema version ${version}; this rram-bench knows up to ${SCHEMA_VERSION} — upgrade rram-bench`,
      { path, version },
    );
  for (let v = version; v < SCHEMA_VERSION; v++) {
    db.transaction(() => {
      db.exec(migrations[v]!);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}
