/** The store: migrations, crash marking at start-up, atomic units, read-only handles. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { isBenchError } from '../../drivers/driver.ts';
import type { ChipInfo } from '../../drivers/driver.ts';
import { SCHEMA_VERSION } from '../../src/store/migrations.ts';
import { Store } from '../../src/store/store.ts';

const chip = {
  model: 'm',
  serial: 's1',
  firmwareVersion: '1',
  protocolVersion: 1,
  rows: 4,
  cols: 4,
  emulated: true,
} as ChipInfo;
const newRun = (store: Store, uuid: string) =>
  store.createRun(
    {
      uuid,
      campaignName: 'c',
      campaignText: 'name: c',
      chipId: store.upsertChip(chip),
      connection: 'emulator',
      softwareVersion: 't',
    },
    [{ idx: 0, kind: 'read-map', name: 'read-map', params: {}, units: 2 }],
  );
const map = (v: number) => ({
  kind: 'map' as const,
  label: 'read',
  map: {
    region: { row: 0, col: 0, rows: 2, cols: 2 },
    microS: new Float32Array([v, v, v, v]),
    average: 1,
    timeS: 0,
  },
});

describe('Store', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'rram-store-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the schema in WAL mode with user_version = the number of migrations; reopening is a no-op', () => {
    const path = join(dir, 'a.db');
    Store.open(path).close();
    const store = Store.open(path);
    assert.equal(store.db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    assert.equal(store.db.pragma('journal_mode', { simple: true }), 'wal');
    store.close();
  });

  it('refuses a database from a newer rram-bench', () => {
    const path = join(dir, 'new.db');
    const db = new Database(path);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    assert.throws(
      () => Store.open(path),
      (e) => isBenchError(e, 'INVALID_ARGUMENT') && /schema version/.test(e.message),
    );
  });

  it('marks runs left running by a dead process as crashed at start-up, not runs of live ones', () => {
    const path = join(dir, 'c.db');
    const store = Store.open(path);
    const dead = newRun(store, 'dead-run');
    const live = newRun(store, 'live-run');
    const gone = spawnSync(process.execPath, [
      '-e',
      'process.stdout.write(String(process.pid))',
    ]).stdout.toString();
    store.db.prepare('UPDATE runs SET pid = ? WHERE id = ?').run(Number(gone), dead);
    store.close();
    const again = Store.open(path);
    assert.deepEqual(again.crashed, ['dead-run']);
    assert.equal(again.reader.findRun('dead-run').status, 'crashed');
    assert.equal(again.reader.findRun('live-run').status, 'running');
    assert.ok(again.reader.events(dead).some((e) => e.kind === 'crashed'));
    void live;
    again.close();
  });

  it('commits a unit atomically: a failing measurement leaves neither rows nor the checkpoint', () => {
    const store = Store.open(join(dir, 'u.db'));
    const run = newRun(store, 'r');
    store.startStep(run, 0, null);
    store.commitUnit(run, 0, 0, [map(1)]);
    // The same unit again violates UNIQUE (step, unit, label): all or nothing.
    assert.throws(() => store.commitUnit(run, 0, 1, [map(2), map(3)]));
    assert.equal(store.reader.steps(run)[0]!.checkpoint, 1);
    assert.deepEqual(
      store.reader.maps(run).map((m) => m.microS[0]),
      [1],
    );
    store.close();
  });

  it('reads runs through a read-only handle and finds them by a uuid prefix', () => {
    const path = join(dir, 'r.db');
    const store = Store.open(path);
    newRun(store, 'abcdef-1');
    newRun(store, 'abcdxy-2');
    store.stopRun(1, 'completed', 'done');
    store.close();
    const reader = Store.openReader(path);
    assert.equal(reader.findRun('abcde').uuid, 'abcdef-1');
    assert.throws(() => reader.findRun('abcd'), /ambiguous/);
    assert.throws(() => reader.findRun('nope'), /no run 'nope'/);
    assert.equal(reader.listRuns().length, 2);
    reader.close();
    assert.throws(
      () => Store.openReader(join(dir, 'missing.db')),
      (e) => isBenchError(e, 'INVALID_ARGUMENT'),
    );
  });
});
