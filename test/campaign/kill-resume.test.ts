/**
 * Must show: `kill -9` of `rram-bench run` at random points of a campaign (several seeds), then
 * `--resume`: the stored measurements equal a clean run's with the same seed — nothing lost,
 * nothing duplicated — and `PRAGMA integrity_check` is ok. The kill moment is the k-th committed
 * unit, k drawn per seed: the process reports it, freezes there (RRAM_BENCH_FREEZE_AFTER_UNITS)
 * and is killed — never a sleep, never a race with the rest of the campaign.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
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
  // characterisation is one unit). Kills land after one of the first 10.
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
      const first = 1 + Math.floor(pick() * (commits - 6));
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
