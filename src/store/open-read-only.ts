/**
 * Open a database for reading wherever it lies, also in a directory this user cannot write
 * (a shared results folder, a read-only mount, an archive). SQLite opens a WAL-mode file
 * read-only only if it can create the `-shm`/`-wal` files beside it or they exist; when it
 * cannot, the file is read into memory (its header switched from WAL to rollback mode, which
 * changes nothing in the data) and queried there. Nothing is ever written next to the file.
 */
import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { BenchError } from '../../drivers/driver.ts';
import { RunReader } from './run-reader.ts';
import { Store } from './store.ts';

/** Byte offsets of the file-format write and read versions in a SQLite header (2 = WAL). */
const WAL_VERSION_BYTES = [18, 19] as const;

/** A reader on `path`: read-only in place, else on an in-memory copy. Throws like `Store.openReader`. */
export function openReadOnly(path: string): RunReader {
  try {
    const reader = Store.openReader(path);
    // Opening is lazy: the first query is what needs the -shm file.
    reader.db.prepare('SELECT count(*) FROM runs').get();
    return reader;
  } catch (e) {
    if (e instanceof BenchError && e.code !== 'IO') throw e;
    if (!(e instanceof BenchError) && (e as { code?: string }).code !== 'SQLITE_CANTOPEN') throw e;
  }
  try {
    const bytes = readFileSync(path);
    for (const at of WAL_VERSION_BYTES) if (bytes[at] === 2) bytes[at] = 1;
    const db = new Database(bytes, { readonly: true });
    db.prepare('SELECT count(*) FROM runs').get();
    return new RunReader(db);
  } catch (e) {
    throw new BenchError('IO', `cannot read database ${path}: ${(e as Error).message}`, { path });
  }
}
