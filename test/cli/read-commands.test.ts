/**
 * The read commands' safety: `export` refuses a directory holding another run's export unless
 * --force, and `runs ls`, `runs show` and `export` work on a database in a directory the user
 * cannot write (opened as a read-only snapshot, and said so). As root the read-only directory is
 * tested as the user `nobody` (setpriv); without setpriv that test is pending.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, runCli } from './run-cli.ts';

describe('read commands: export --force and read-only databases', function () {
  this.timeout(120_000);
  let dir = '';
  let db = '';
  const uuids: string[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rram-read-'));
    db = join(dir, 'runs.db');
    for (const seed of ['1', '2']) {
      const r = await runCli(
        'run',
        'fixtures/campaigns/demo.yaml',
        '--emulator',
        '--time',
        'virtual',
        '--seed',
        seed,
        '--db',
        db,
        '--no-tui',
      );
      assert.equal(r.code, 0, r.stderr);
      uuids.push(/^run ([0-9a-f-]{36}):/m.exec(r.stdout)![1]!);
    }
  });

  after(() => {
    if (dir) {
      spawnSync('chmod', ['-R', 'u+w', dir]);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('export numbers steps from 1 and refuses another run’s export unless --force', async () => {
    const out = join(dir, 'out');
    const first = await runCli('export', uuids[0]!, '--format', 'npy', '--out', out, '--db', db);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /exported \d+ files to /);
    const names = readdirSync(out);
    assert.ok(names.includes('step007_mvm_counts.npy'), `files: ${names.join(', ')}`);
    assert.ok(!names.some((n) => n.startsWith('step000')), 'a step numbered 0');
    // The same run again: fine.
    assert.equal(
      (await runCli('export', uuids[0]!, '--format', 'npy', '--out', out, '--db', db)).code,
      0,
    );
    const other = await runCli('export', uuids[1]!, '--format', 'csv', '--out', out, '--db', db);
    assert.equal(other.code, 2, other.stderr);
    assert.match(
      other.stderr,
      new RegExp(`holds the export of another run \\(${uuids[0]}\\).*--force`),
    );
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as {
      run: { uuid: string };
    };
    assert.equal(manifest.run.uuid, uuids[0], 'the refused export changed the directory');
    const forced = await runCli(
      'export',
      uuids[1]!,
      '--format',
      'csv',
      '--out',
      out,
      '--db',
      db,
      '--force',
    );
    assert.equal(forced.code, 0, forced.stderr);
    const after = readdirSync(out);
    assert.ok(
      !after.some((n) => n.endsWith('.npy')) && !after.includes('manifest.json'),
      `run 1's files left: ${after.join(', ')}`,
    );
    assert.match(readFileSync(join(out, 'run.json'), 'utf8'), new RegExp(uuids[1]!));
  });

  it('lists, shows and exports a database in a directory the user cannot write, and says so', function () {
    const root = process.getuid?.() === 0;
    const setpriv = spawnSync('setpriv', ['--version']).status === 0;
    if (root && !setpriv) {
      this.test!.title += ' (pending: running as root without setpriv to drop to nobody)';
      this.skip();
    }
    const ro = join(dir, 'archive');
    mkdirSync(ro);
    copyFileSync(db, join(ro, 'runs.db'));
    assert.ok(
      !existsSync(`${db}-wal`) || readFileSync(`${db}-wal`).length === 0,
      'the writer left a WAL',
    );
    const outDir = join(dir, 'exported');
    mkdirSync(outDir);
    chmodSync(outDir, 0o777);
    chmodSync(ro, 0o555);
    chmodSync(dir, 0o755);
    const cli = (...args: string[]) => {
      const argv = ['bin/rram-bench.js', ...args];
      const cmd = root
        ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, ...argv]
        : [process.execPath, ...argv];
      const r = spawnSync(cmd[0]!, cmd.slice(1), { cwd: repoRoot, encoding: 'utf8' });
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    };
    const roDb = join(ro, 'runs.db');
    const ls = cli('runs', 'ls', '--db', roDb);
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stdout, new RegExp(uuids[1]!));
    assert.match(
      ls.stderr,
      /is not writable: reading a snapshot of .*runs\.db in memory \(read-only\)/,
    );
    const show = cli('runs', 'show', uuids[0]!.slice(0, 8), '--db', roDb);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /\[7\] infer\n {4}samples 256/);
    const ex = cli(
      'export',
      uuids[0]!,
      '--format',
      'json',
      '--out',
      join(outDir, 'x'),
      '--db',
      roDb,
    );
    assert.equal(ex.code, 0, ex.stderr);
    assert.ok(existsSync(join(outDir, 'x', 'run.json')));
    // Nothing was created beside the database.
    assert.deepEqual(readdirSync(ro), ['runs.db']);
    execFileSync('chmod', ['755', ro]);
  });
});
