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

  it('--only rng. runs the rng benchmarks and writes their results as JSON', async () => {
    const out = join(dir, 'sub', 'rng.json');
    const r = await bench('--only', 'rng.', '--out', out);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^benchmark +value +unit +target +result$/m);
    assert.match(r.stdout, /^rng\.normal_per_s +[\d,]+ +normals\/s +≥ [\d,]+ +pass$/m);
    const json = JSON.parse(readFileSync(out, 'utf8')) as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.keys(json), ['rng.normal_per_s']);
    const result = json['rng.normal_per_s']!;
    assert.equal(typeof result.value, 'number');
    assert.ok((result.value as number) > 0);
    assert.equal(result.unit, 'normals/s');
    assert.equal(result.higherIsBetter, true);
    // The sanity figures: still N(0, 1).
    assert.ok(Math.abs(result.mean as number) < 0.01);
    assert.ok(Math.abs((result.std as number) - 1) < 0.01);
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
