/**
 * Must show: a second process reading the database while a run writes causes no failure in the
 * writer (WAL: readers never block the writer, the writer never blocks readers).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../cli/run-cli.ts';
import { integrity, spawnCli } from '../campaign/run-db.ts';

describe('a second process reading while a run writes', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'rram-conc-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('the writer completes, the reader reads throughout without errors', async () => {
    const db = join(dir, 'shared.db');
    const reader = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/store/reader-process.ts', db],
      {
        cwd: repoRoot,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    const readerDone = new Promise<string>((resolve) => {
      reader.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
      reader.on('close', () => resolve(out));
    });
    // Start the writer only once the reader is polling.
    await new Promise<void>((resolve) => reader.stdout.once('data', () => resolve()));
    const w = await spawnCli([
      'run',
      'fixtures/campaigns/demo.yaml',
      '--emulator',
      '--time',
      'virtual',
      '--db',
      db,
    ]).exited;
    assert.equal(w.code, 0, w.stderr);
    const report = JSON.parse((await readerDone).trim().split('\n').pop()!) as {
      reads: number;
      distinctCellCounts: number;
      errors: string[];
    };
    assert.deepEqual(report.errors, []);
    assert.ok(report.reads > 10, `only ${report.reads} reads`);
    assert.ok(report.distinctCellCounts >= 2, 'the reader saw the run progress');
    assert.equal(integrity(db), 'ok');
  });
});
