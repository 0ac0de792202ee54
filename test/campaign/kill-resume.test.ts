/**
 * Must show: `kill -9` of `rram-bench run` at random points of a campaign, then `--resume`: the
 * stored measurements equal a clean run's with the same seed — nothing lost, nothing duplicated —
 * and `PRAGMA integrity_check` is ok. Two kinds of kill:
 * - deterministic, at a unit boundary: the k-th committed unit, k drawn per seed over the whole
 *   campaign; the process reports it, freezes there (RRAM_BENCH_FREEZE_AFTER_UNITS) and is
 *   killed — it cannot race the rest of the campaign;
 * - at a random moment: SIGKILL a random delay after the process starts its run, drawn over
 *   the clean run's own duration (so it scales with the machine's load), into the first run and
 *   into its resumes. These land wherever the process happens to be: inside a unit's work,
 *   inside its SQLite transaction or its WAL write, between a commit and its report. Each kill's
 *   point is printed (`kills:` — units reported, WAL frames past the last commit).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seededRandom } from '../../src/pipeline/seeded-random.ts';
import { integrity, measurementsOf, spawnCli, statusOf } from './run-db.ts';

const CAMPAIGN = 'fixtures/campaigns/demo.yaml';

/** Run to the end; the run's uuid and how many multi-unit checkpoints it reported. */
async function cleanRun(db: string, seed: number): Promise<{ uuid: string; commits: number }> {
  const r = await spawnCli([
    'run',
    CAMPAIGN,
    '--emulator',
    '--time',
    'virtual',
    '--seed',
    String(seed),
    '--db',
    db,
  ]).exited;
  assert.equal(r.code, 0, r.stderr);
  return {
    uuid: /^run ([0-9a-f-]{36}):/m.exec(r.stdout)![1]!,
    commits: r.stdout.split('\n').filter((line) => / committed$/.test(line)).length,
  };
}

/**
 * The WAL file's state after a kill: frames of the current WAL generation (matching the header's
 * salts) past the last commit frame, i.e. a transaction the kill cut off while it was being
 * written, and a torn trailing frame.
 */
function walState(db: string): { frames: number; uncommitted: number; torn: boolean } {
  const file = `${db}-wal`;
  if (!existsSync(file)) return { frames: 0, uncommitted: 0, torn: false };
  const b = readFileSync(file);
  if (b.length < 32) return { frames: 0, uncommitted: 0, torn: b.length > 0 };
  const pageSize = b.readUInt32BE(8);
  const salt = [b.readUInt32BE(16), b.readUInt32BE(20)];
  let frames = 0;
  let lastCommit = 0;
  let at = 32;
  while (at + 24 + pageSize <= b.length) {
    if (b.readUInt32BE(at + 8) !== salt[0] || b.readUInt32BE(at + 12) !== salt[1]) break;
    frames++;
    if (b.readUInt32BE(at + 4) !== 0) lastCommit = frames;
    at += 24 + pageSize;
  }
  const torn = at < b.length && at + 24 + pageSize > b.length;
  return { frames, uncommitted: frames - lastCommit, torn };
}

/** Where one random kill landed. */
interface Kill {
  args: string;
  delayMs: number;
  /** Committed units reported before the kill. */
  reported: number;
  /** The process had finished before the kill fell. */
  finished: boolean;
  walUncommittedFrames: number;
  walTorn: boolean;
}

/**
 * Run `args` and SIGKILL it `delayMs` after its first line (the run is open in the database by
 * then). A process that finishes first is let be.
 */
async function killedAfter(
  args: string[],
  delayMs: number,
  db: string,
): Promise<Kill & { uuid: string }> {
  let reported = 0;
  let uuid = '';
  let timer: NodeJS.Timeout | undefined;
  const r = await spawnCli(args, (line, w) => {
    uuid ||= /^run ([0-9a-f-]{36}):/.exec(line)?.[1] ?? '';
    if (/ committed$/.test(line)) reported++;
    timer ??= setTimeout(() => w.kill('SIGKILL'), delayMs);
  }).exited;
  clearTimeout(timer);
  const finished = r.signal === null;
  if (finished) assert.equal(r.code, 0, r.stderr);
  else assert.equal(r.signal, 'SIGKILL', r.stderr);
  const wal = walState(db);
  return {
    uuid,
    args: args.slice(0, 2).join(' '),
    delayMs: Math.round(delayMs),
    reported,
    finished,
    walUncommittedFrames: wal.uncommitted,
    walTorn: wal.torn,
  };
}

/**
 * Run `args` and SIGKILL it right after the `killAt`-th committed unit is reported. The process
 * freezes there (RRAM_BENCH_FREEZE_AFTER_UNITS), so the kill lands at exactly that point.
 */
async function killedAt(
  args: string[],
  killAt: number,
): Promise<{ uuid: string; committedSeen: number }> {
  let seen = 0;
  let uuid = '';
  const r = await spawnCli(
    args,
    (line, w) => {
      uuid ||= /^run ([0-9a-f-]{36}):/.exec(line)?.[1] ?? '';
      if (/ committed$/.test(line) && ++seen === killAt) w.kill('SIGKILL');
    },
    { RRAM_BENCH_FREEZE_AFTER_UNITS: String(killAt) },
  ).exited;
  assert.equal(seen, killAt, 'nothing is reported after the freeze');
  assert.equal(r.signal, 'SIGKILL', `the process ended before the kill (${r.code}): ${r.stderr}`);
  return { uuid, committedSeen: seen };
}

describe('kill -9 and --resume', function () {
  this.timeout(180_000);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'rram-kill-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  // demo.yaml reports 8 program blocks + 8 infer batches = 16 multi-unit checkpoints (the
  // characterisation is one unit). Kills land after any one of them.
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: killed runs resume to exactly the clean run's measurements`, async () => {
      const clean = join(dir, `clean-${seed}.db`);
      const { uuid: cleanUuid, commits } = await cleanRun(clean, seed);
      assert.ok(commits >= 10, `${commits} checkpoints reported`);
      const db = join(dir, `killed-${seed}.db`);
      const pick = seededRandom(seed * 7919);
      const args = [
        'run',
        CAMPAIGN,
        '--emulator',
        '--time',
        'virtual',
        '--seed',
        String(seed),
        '--db',
        db,
      ];
      // Seed 3 is killed again during its resume, so it leaves that resume 2 units to report.
      const first = 1 + Math.floor(pick() * (seed === 3 ? commits - 2 : commits));
      const { uuid } = await killedAt(args, first);
      assert.match(uuid, /^[0-9a-f-]{36}$/);
      assert.equal(integrity(db), 'ok');
      assert.equal(
        statusOf(db, uuid),
        'running',
        'a killed run is left running until the next start-up',
      );
      // Seed 3 is killed a second time, during its resume.
      if (seed === 3) {
        const second = 1 + Math.floor(pick() * 2);
        await killedAt(['run', '--resume', uuid, '--db', db], second);
        assert.equal(integrity(db), 'ok');
      }
      const resumed = await spawnCli(['run', '--resume', uuid.slice(0, 8), '--db', db]).exited;
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.match(resumed.stderr, /marked crashed/);
      assert.match(resumed.stdout, /resumed: \d+ steps? done, replaying committed work/);
      assert.equal(statusOf(db, uuid), 'completed');
      assert.equal(integrity(db), 'ok');
      const got = measurementsOf(db, uuid);
      const want = measurementsOf(clean, cleanUuid);
      for (const table of Object.keys(want))
        assert.deepEqual(got[table], want[table], `${table} differ (kill after unit ${first})`);
      assert.ok(
        // characterize's 256 cells and 2 relaxation maps, program's 256 cells, form and read-map.
        want.programCells!.length === 512 &&
          want.mvm!.length === 8 &&
          want.maps!.length === 4 &&
          want.noise!.length === 1,
      );
    });
  }
});

describe('kill -9 at a random moment and --resume', function () {
  this.timeout(300_000);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'rram-kill-random-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('random SIGKILLs into a run and its resumes (3 draws × up to 2 kills) resume to exactly the clean run', async () => {
    const seed = 4;
    const clean = join(dir, 'clean.db');
    // The clean run, timed from its first line to its exit: the span a kill is drawn over.
    let t0 = 0;
    const cleanRun = spawnCli(
      ['run', CAMPAIGN, '--emulator', '--time', 'virtual', '--seed', String(seed), '--db', clean],
      () => (t0 ||= performance.now()),
    );
    const cr = await cleanRun.exited;
    const spanMs = performance.now() - t0;
    assert.equal(cr.code, 0, cr.stderr);
    const cleanUuid = /^run ([0-9a-f-]{36}):/m.exec(cr.stdout)![1]!;
    const want = measurementsOf(clean, cleanUuid);
    const pick = seededRandom(20_261_202);
    const kills: Kill[] = [];
    for (let draw = 0; draw < 3; draw++) {
      const db = join(dir, `killed-${draw}.db`);
      const args = ['run', CAMPAIGN, '--emulator', '--time', 'virtual', '--seed', String(seed)];
      const first = await killedAfter([...args, '--db', db], pick() * spanMs, db);
      kills.push(first);
      const uuid = first.uuid;
      assert.match(uuid, /^[0-9a-f-]{36}$/, `draw ${draw}: the run started`);
      assert.equal(integrity(db), 'ok', `draw ${draw}: integrity after the first kill`);
      // One more kill, into the resume.
      for (let k = 0; k < 1 && statusOf(db, uuid) !== 'completed'; k++) {
        const again = await killedAfter(['run', '--resume', uuid, '--db', db], pick() * spanMs, db);
        kills.push(again);
        assert.equal(integrity(db), 'ok', `draw ${draw}: integrity after kill ${k + 2}`);
      }
      if (statusOf(db, uuid) !== 'completed') {
        const resumed = await spawnCli(['run', '--resume', uuid, '--db', db]).exited;
        assert.equal(resumed.code, 0, resumed.stderr);
      }
      assert.equal(statusOf(db, uuid), 'completed', `draw ${draw}`);
      assert.equal(integrity(db), 'ok', `draw ${draw}: integrity at the end`);
      const got = measurementsOf(db, uuid);
      for (const table of Object.keys(want))
        assert.deepEqual(got[table], want[table], `draw ${draw}: ${table} differ`);
    }
    console.log('      kills:', JSON.stringify({ spanMs: Math.round(spanMs), kills }));
    assert.ok(
      kills.some((k) => !k.finished),
      'at least one draw killed a process before it finished',
    );
  });
});
