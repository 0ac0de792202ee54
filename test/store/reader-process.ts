/**
 * A second process for the concurrent-reader test: reads the database as fast as it can (counts,
 * the newest blobs, the runs) until the run it watches stops, then prints what it saw as JSON.
 * Usage: node --import tsx reader-process.ts DB
 */
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';

const path = process.argv[2]!;
const seen = new Set<number>();
let reads = 0;
let errors: string[] = [];

function once(): boolean {
  if (!existsSync(path)) return false;
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 10000');
    const tables = db
      .prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'runs'")
      .get() as { n: number };
    if (tables.n === 0) return false;
    const cells = db.prepare('SELECT count(*) AS n FROM program_cells').get() as { n: number };
    seen.add(cells.n);
    db.prepare('SELECT micro_s FROM conductance_maps ORDER BY id DESC LIMIT 1').get();
    db.prepare('SELECT counts FROM mvm_batches ORDER BY id DESC LIMIT 1').get();
    reads++;
    const run = db.prepare('SELECT status FROM runs ORDER BY id DESC LIMIT 1').get() as
      { status: string } | undefined;
    return run !== undefined && run.status !== 'running';
  } finally {
    db.close();
  }
}

function loop(): void {
  let stopped = false;
  try {
    stopped = once();
  } catch (e) {
    errors = [...errors, (e as Error).message].slice(-5);
  }
  if (stopped) {
    process.stdout.write(`${JSON.stringify({ reads, distinctCellCounts: seen.size, errors })}\n`);
    return;
  }
  setImmediate(loop);
}
process.stdout.write('ready\n');
loop();
