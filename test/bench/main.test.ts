import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runNode } from '../cli/run-cli.ts';

const bench = (...args: string[]) => runNode(['--import', 'tsx', 'src/bench/main.ts', ...args]);

describe('npm run bench (src/bench/main.ts)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rram-bench-main-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('--only rng. runs the rng benchmarks and writes their results as JSON (whatever the speed)', async () => {
    // This tests the harness, not the machine: on a loaded CI box the benchmark may miss its
    // target, and then the run exits 1 with a FAIL row — still a correct run of the harness.
    const out = join(dir, 'sub', 'rng.json');
    const r = await bench('--only', 'rng.', '--out', out);
    assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /failed:/, 'the benchmark threw');
    assert.match(r.stdout, /^benchmark +value +unit +target +result$/m);
    const row = /^rng\.normal_per_s +[\d,.]+ +normals\/s +≥ [\d,]+ +(pass|FAIL)$/m.exec(r.stdout);
    assert.ok(row, `no result row for rng.normal_per_s in:\n${r.stdout}`);
    // The exit code follows the verdict printed, not the other way round.
    assert.equal(
      r.code,
      row[1] === 'pass' ? 0 : 1,
      'exit code disagrees with the pass/FAIL column',
    );
    const json = JSON.parse(readFileSync(out, 'utf8')) as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.keys(json), ['rng.normal_per_s']);
    const result = json['rng.normal_per_s']!;
    assert.equal(typeof result.value, 'number');
    assert.ok((result.value as number) > 0, `rate ${String(result.value)}`);
    assert.equal(result.unit, 'normals/s');
    assert.equal(result.higherIsBetter, true);
    assert.equal(typeof result.target, 'number');
    // The sanity figures: still N(0, 1) (≥ 1 M samples: SE of the mean 0.001, of σ 0.0007).
    assert.ok((result.samples as number) >= 1 << 20, `samples ${String(result.samples)}`);
    assert.ok(Math.abs(result.mean as number) < 0.01, `mean ${String(result.mean)}`);
    assert.ok(Math.abs((result.std as number) - 1) < 0.01, `std ${String(result.std)}`);
  });

  it('--only matching nothing exits 2 naming the prefix and the available names', async () => {
    const r = await bench('--only', 'nothing', '--out', join(dir, 'never.json'));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--only nothing matches no benchmark \(available: .*rng\.normal_per_s/);
  });

  it('an unknown option exits 2 naming it', async () => {
    const r = await bench('--fast');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown option --fast/);
  });

  it('--help prints usage and exits 0', async () => {
    const r = await bench('--help');
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Usage: npm run bench -- \[--only PREFIX\]\.\.\. \[--out FILE\]/);
  });
});
