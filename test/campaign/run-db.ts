/** Test helpers: spawn the CLI and watch its lines; read a run's measurements back for comparison. */
import { spawn } from 'node:child_process';
import Database from 'better-sqlite3';
import { repoRoot } from '../cli/run-cli.ts';

/** A spawned `rram-bench` process whose stdout lines can be watched. */
export interface Watched {
  /** Resolves with the exit code (or the signal name) when the process ends. */
  exited: Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
  }>;
  kill(signal: NodeJS.Signals): void;
}

/** Spawn `node bin/rram-bench.js …args`; `onLine` sees each stdout line as it arrives. */
export function spawnCli(
  args: string[],
  onLine: (line: string, w: Watched) => void = () => undefined,
  env: NodeJS.ProcessEnv = {},
): Watched {
  const child = spawn(process.execPath, ['bin/rram-bench.js', ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let stdout = '';
  let stderr = '';
  let partial = '';
  const w: Watched = {
    exited: new Promise((resolve) =>
      child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
    ),
    kill: (signal) => child.kill(signal),
  };
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) onLine(line, w);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return w;
}

/** Every measurement a run stored, in a canonical order, as plain comparable values. */
export function measurementsOf(dbPath: string, uuid: string): Record<string, unknown[]> {
  const db = new Database(dbPath, { readonly: true });
  try {
    const run = (db.prepare('SELECT id FROM runs WHERE uuid = ?').get(uuid) as { id: number }).id;
    const q = (sql: string): unknown[] =>
      (db.prepare(sql).raw().all(run) as unknown[][]).map((r) =>
        r.map((v) => (Buffer.isBuffer(v) ? v.toString('hex') : v)),
      );
    return {
      programCells:
        q(`SELECT s.idx, p.unit, p.row, p.col, p.target_micro_s, p.final_micro_s, p.pulses, p.converged
        FROM program_cells p JOIN steps s ON s.id = p.step_id WHERE s.run_id = ? ORDER BY s.idx, p.row, p.col`),
      maps: q(`SELECT s.idx, m.unit, m.label, m.row0, m.col0, m.rows, m.cols, m.average, m.chip_time_s, m.micro_s
        FROM conductance_maps m JOIN steps s ON s.id = m.step_id WHERE s.run_id = ? ORDER BY s.idx, m.unit, m.label`),
      mvm: q(`SELECT s.idx, b.unit, b.first_sample, b.batch, b.inputs, b.counts, b.labels, b.energy_j, b.latency_s
        FROM mvm_batches b JOIN steps s ON s.id = b.step_id WHERE s.run_id = ? ORDER BY s.idx, b.unit`),
      metrics:
        q(`SELECT s.idx, m.name, m.value, m.unit FROM metrics m JOIN steps s ON s.id = m.step_id
        WHERE s.run_id = ? ORDER BY s.idx, m.name`),
      noise: q(
        `SELECT s.idx, n.model_json FROM noise_models n JOIN steps s ON s.id = n.step_id WHERE s.run_id = ? ORDER BY s.idx`,
      ),
      steps: q(
        `SELECT idx, kind, status, units, checkpoint FROM steps WHERE run_id = ? ORDER BY idx`,
      ),
    };
  } finally {
    db.close();
  }
}

/** `PRAGMA integrity_check` of a database file. */
export function integrity(dbPath: string): string {
  const db = new Database(dbPath, { readonly: true });
  try {
    return db.pragma('integrity_check', { simple: true }) as string;
  } finally {
    db.close();
  }
}

/** The status of a run. */
export function statusOf(dbPath: string, uuid: string): string {
  const db = new Database(dbPath, { readonly: true });
  try {
    return (db.prepare('SELECT status FROM runs WHERE uuid = ?').get(uuid) as { status: string })
      .status;
  } finally {
    db.close();
  }
}
