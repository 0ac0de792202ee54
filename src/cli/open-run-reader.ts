/**
 * How the read commands (`runs ls`, `runs show`, `export`, `view`) open a database: read-only,
 * never creating it, and loaded when they run (better-sqlite3 is not needed for `--help`). When
 * the database could only be opened as an in-memory snapshot (its directory is not writable),
 * that is said on stderr.
 */
import type { RunReader } from '../store/run-reader.ts';
import type { TextSink } from './command.ts';

/** Open `path` read-only; its note, if any, goes to `stderr`. */
export async function openRunReader(path: string, stderr: TextSink): Promise<RunReader> {
  const { Store } = await import('../store/store.ts');
  const reader = Store.openReader(path);
  if (reader.note !== undefined) stderr.write(`${reader.note}\n`);
  return reader;
}
