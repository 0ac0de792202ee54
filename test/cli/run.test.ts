/**
 * `rram-bench run`, `runs ls|show`, `export`: the example campaigns pass --dry-run and run on
 * the emulator; exports read back with the .npy parser, as CSV, and with numpy when present.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseNpy } from '../../src/campaign/npy.ts';
import { runCli } from './run-cli.ts';

const campaigns = ['demo', 'retention', 'precision-sweep'];
const hasNumpy = spawnSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;
/** The reason shown when the numpy read-back goes pending. */
const NO_NUMPY =
  'pending: python3 with numpy is not installed (apt-get install python3-numpy; CI installs it)';

describe('rram-bench run / runs / export', function () {
  this.timeout(120_000);
  let dir: string;
  let db: string;
  const uuids: Record<string, string> = {};
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rram-run-'));
    db = join(dir, 'runs.db');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const name of campaigns) {
    it(`${name}.yaml passes --dry-run without creating the database`, async () => {
      const r = await runCli(
        'run',
        `fixtures/campaigns/${name}.yaml`,
        '--dry-run',
        '--db',
        join(dir, 'dry.db'),
      );
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`campaign '${name}' is valid for vlsi19-hfo2-256`));
      assert.match(r.stdout, /estimated chip time ≈ /);
      assert.match(r.stderr, /no --port given: using the emulated chip/);
      assert.equal(existsSync(join(dir, 'dry.db')), false);
    });

    it(`${name}.yaml runs on the emulator into the database`, async () => {
      const r = await runCli(
        'run',
        `fixtures/campaigns/${name}.yaml`,
        '--emulator',
        '--time',
        'virtual',
        '--db',
        db,
      );
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^completed: all steps completed$/m);
      uuids[name] = /^run ([0-9a-f-]{36}):/m.exec(r.stdout)![1]!;
    });
  }

  it('announces the default database when --db is not given', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'rram-cwd-'));
    try {
      const bin = join(process.cwd(), 'bin/rram-bench.js');
      const out = spawnSync(
        process.execPath,
        [bin, 'run', join(process.cwd(), 'fixtures/campaigns/retention.yaml'), '--time', 'virtual'],
        { cwd, encoding: 'utf8' },
      );
      assert.equal(out.status, 0, out.stderr);
      assert.match(out.stderr, /no --db given: storing in \.\/rram-bench\.db/);
      assert.ok(existsSync(join(cwd, 'rram-bench.db')));
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it('infer on the programmed prototypes classifies well above chance', async () => {
    const r = await runCli('runs', 'show', uuids.demo!, '--db', db, '--json');
    assert.equal(r.code, 0, r.stderr);
    const show = JSON.parse(r.stdout) as {
      metrics: { name: string; value: number }[];
      steps: { status: string }[];
      run: { status: string };
    };
    assert.equal(show.run.status, 'completed');
    assert.ok(show.steps.every((s) => s.status === 'completed'));
    const accuracy = show.metrics.find((m) => m.name === 'accuracy')!.value;
    assert.ok(accuracy > 0.5, `accuracy ${accuracy} (chance 0.125)`);
  });

  it('runs ls lists the runs (table and JSON)', async () => {
    const r = await runCli('runs', 'ls', '--db', db, '--json');
    assert.equal(r.code, 0, r.stderr);
    const runs = JSON.parse(r.stdout) as { uuid: string; campaign: string; status: string }[];
    assert.deepEqual(
      runs.map((x) => x.campaign),
      campaigns,
    );
    assert.ok(runs.every((x) => x.status === 'completed'));
    const t = await runCli('runs', 'ls', '--db', db);
    assert.match(t.stdout, /^run\s+campaign\s+status/m);
    const show = await runCli('runs', 'show', uuids.retention!.slice(0, 8), '--db', db);
    assert.match(show.stdout, /status\s+completed/);
    assert.match(show.stdout, /rms_change_micro_s \d/);
  });

  it('runs show refuses an unknown run with exit 2', async () => {
    const r = await runCli('runs', 'show', 'no-such-run', '--db', db);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /\[INVALID_ARGUMENT\]: no run 'no-such-run'/);
  });

  it('export --format npy: arrays read back with the .npy parser', async () => {
    const out = join(dir, 'npy');
    const r = await runCli('export', uuids.demo!, '--format', 'npy', '--out', out, '--db', db);
    assert.equal(r.code, 0, r.stderr);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as {
      arrays: { file: string; shape: number[] }[];
    };
    for (const a of manifest.arrays)
      assert.deepEqual(parseNpy(readFileSync(join(out, a.file)), a.file).shape, a.shape);
    const counts = parseNpy(readFileSync(join(out, 'step007_mvm_counts.npy')), 'counts');
    assert.deepEqual([counts.dtype, ...counts.shape], ['|u1', 256, 8]);
    const map = manifest.arrays.find(
      (a) => a.file.includes('_map_') && a.file.endsWith('_read.npy'),
    )!;
    assert.deepEqual(map.shape, [32, 8]);
  });

  it('export --format npy: numpy loads every array with the manifest shape', async function () {
    if (!hasNumpy) {
      if (this.test) this.test.title += ` — ${NO_NUMPY}`;
      this.skip();
    }
    const out = join(dir, 'npy-numpy');
    const r = await runCli('export', uuids.demo!, '--format', 'npy', '--out', out, '--db', db);
    assert.equal(r.code, 0, r.stderr);
    const py = execFileSync(
      'python3',
      [
        '-c',
        `
import json, numpy as np, sys
m = json.load(open(sys.argv[1] + '/manifest.json'))
for a in m['arrays']:
    x = np.load(sys.argv[1] + '/' + a['file'])
    assert list(x.shape) == a['shape'], a
c = np.load(sys.argv[1] + '/step007_mvm_counts.npy')
print(len(m['arrays']), c.dtype, c.shape, int(np.load(sys.argv[1] + '/step007_mvm_labels.npy').max()))
`,
        out,
      ],
      { encoding: 'utf8' },
    );
    assert.match(py, /^\d+ uint8 \(256, 8\) 7$/m);
  });

  it('export --format csv: long tables with the expected shapes', async () => {
    const out = join(dir, 'csv');
    const r = await runCli('export', uuids.demo!, '--format', 'csv', '--out', out, '--db', db);
    assert.equal(r.code, 0, r.stderr);
    const rows = (f: string) =>
      readFileSync(join(out, f), 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split(','));
    const cells = rows('program_cells.csv');
    assert.deepEqual(cells[0], [
      'step',
      'unit',
      'row',
      'col',
      'target_micro_s',
      'final_micro_s',
      'pulses',
      'converged',
    ]);
    // characterize's write-verify of known targets and the program step: 256 cells each.
    assert.equal(cells.length, 1 + 2 * 256);
    assert.ok(cells.every((c) => c.length === 8));
    // form, two relaxation maps (characterize), read-map.
    assert.equal(rows('maps.csv').length, 1 + 4 * 256);
    assert.equal(rows('mvm.csv').length, 1 + 256 * 8);
    assert.ok(readdirSync(out).includes('metrics.csv'));
  });

  it('export --format json: one object with everything', async () => {
    const out = join(dir, 'json');
    const r = await runCli(
      'export',
      uuids.retention!,
      '--format',
      'json',
      '--out',
      out,
      '--db',
      db,
    );
    assert.equal(r.code, 0, r.stderr);
    const body = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as {
      maps: { microS: number[] }[];
      programs: unknown[];
    };
    assert.equal(body.maps.length, 6);
    assert.equal(body.maps[0]!.microS.length, 64);
    assert.equal(body.programs.length, 1);
  });

  it('a campaign outside the safe operating area is refused with exit 4 before anything is stored', async () => {
    const bad = join(dir, 'limit.yaml');
    const fresh = join(dir, 'limit.db');
    require_write(bad, 'name: limit\nsteps:\n  - kind: configure\n    readV: 5\n');
    const r = await runCli('run', bad, '--db', fresh);
    assert.equal(r.code, 4, r.stderr);
    assert.match(
      r.stderr,
      /\[LIMIT\]: .*limit\.yaml:4:12: step 1 \(configure\): read voltage \(Vref\) 5 V is outside/,
    );
    assert.equal(existsSync(fresh), false);
  });
});

function require_write(path: string, text: string): void {
  execFileSync(process.execPath, [
    '-e',
    `require('fs').writeFileSync(${JSON.stringify(path)}, ${JSON.stringify(text)})`,
  ]);
}
