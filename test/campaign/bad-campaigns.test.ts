/**
 * Must show: every malformed campaign in fixtures/campaigns/bad/ is answered with a specific
 * message and its line:column, exit code 2, and the database untouched (not created when
 * absent, byte-identical when present).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli.ts';
import { runCli } from '../cli/run-cli.ts';

const BAD = 'fixtures/campaigns/bad';

/** File → [line:col, what the message must say]. */
const expected: Record<string, [string, RegExp]> = {
  'yaml-syntax.yaml': ['5:1', /YAML syntax: Flow map .* end with a \}/],
  'not-a-mapping.yaml': ['1:1', /must be a mapping with name and steps/],
  'missing-name.yaml': ['1:1', /name: missing required field/],
  'missing-steps.yaml': ['1:1', /steps: missing required field/],
  'empty-steps.yaml': ['2:8', /steps: a campaign needs at least one step/],
  'unknown-kind.yaml': ['4:11', /steps\[1\]\.kind: step kind must be one of identify, .*loop/],
  'unknown-field.yaml': ['6:5', /steps\[0\]\.tolerence: unknown field 'tolerence'/],
  'region-negative.yaml': ['4:20', /steps\[0\]\.region\.row: Too small: expected number to be >=0/],
  'region-zero-rows.yaml': [
    '7:13',
    /steps\[0\]\.region\.rows: Too small: expected number to be >=1/,
  ],
  'precision-too-high.yaml': [
    '4:20',
    /steps\[0\]\.precisionBits: Too big: expected number to be <=8/,
  ],
  'precision-not-integer.yaml': ['4:20', /steps\[0\]\.precisionBits: expected int/],
  'tolerance-string.yaml': ['6:16', /steps\[0\]\.tolerance: expected number, received string/],
  'program-two-sources.yaml': ['3:5', /steps\[0\]: give exactly one of pattern, weights, model/],
  'program-no-source.yaml': ['4:5', /steps\[1\]: give exactly one of pattern, weights, model/],
  'pattern-unknown-kind.yaml': [
    '5:22',
    /steps\[0\]\.pattern\.kind: pattern kind must be one of uniform/,
  ],
  'unknown-variable.yaml': [
    '6:13',
    /steps\[0\]\.region: unknown variable \$\{regoin\} \(defined: region\)/,
  ],
  'unknown-model.yaml': ['7:5', /steps\[0\]\.model: unknown model 'lenet' \(models: mlp\)/],
  'weights-missing-file.yaml': [
    '5:5',
    /steps\[0\]\.weights: cannot read weights .*does-not-exist\.npy: ENOENT/,
  ],
  'weights-nan.yaml': ['5:5', /nan-weights\.npy: weight \[1, 1\] is NaN/],
  'weights-1d.yaml': [
    '5:5',
    /vector\.npy: weights must be a non-empty 2-D matrix .* got shape \(16\)/,
  ],
  'weights-int.yaml': ['5:5', /int-weights\.npy: weights must be float32 or float64, not <i4/],
  'weights-wrong-region.yaml': [
    '4:5',
    /good-4x4\.npy: a 4×4 matrix mapped as twin-columns needs a 4×8 region/,
  ],
  'retention-times-descending.yaml': [
    '5:12',
    /steps\[0\]\.times: times must be strictly ascending/,
  ],
  'sweep-bad-parameter.yaml': [
    '4:5',
    /steps\[0\]\.parameter: tolerence=0\.5: the step has no parameter 'tolerence'/,
  ],
  'sweep-bad-value.yaml': ['4:5', /readout\.precisionBits=12: Too big: expected number to be <=8/],
  'loop-values-and-range.yaml': ['3:5', /steps\[0\]: give exactly one of values, range/],
  'range-step-zero.yaml': ['5:36', /steps\[0\]\.range\.step: step must not be 0/],
  'dataset-mnist.yaml': [
    '5:22',
    /dataset kind must be 'synthetic' \(MNIST arrives with a later issue\)/,
  ],
  'export-bad-format.yaml': [
    '4:13',
    /steps\[0\]\.format: Invalid option: expected one of "npy"\|"csv"\|"json"/,
  ],
  'duplicate-key.yaml': ['6:5', /YAML syntax: Map keys must be unique/],
  'region-outside-array.yaml': [
    '5:39',
    /step 2 \(read-map\): region\.rows must be an integer in \[1, 6\], got 16/,
  ],
  'too-many-classes.yaml': [
    '4:47',
    /step 1 \(infer\): 10 classes decoded as columns need 10 columns/,
  ],
};

function sink() {
  let text = '';
  return {
    write: (s: string) => (text += s),
    get text() {
      return text;
    },
  };
}

describe('malformed campaign files', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'rram-bad-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('the corpus has at least 20 files, each with an expectation', () => {
    const files = readdirSync(BAD)
      .filter((f) => f.endsWith('.yaml'))
      .sort();
    assert.ok(files.length >= 20, `${files.length} files`);
    assert.deepEqual(files, Object.keys(expected).sort());
  });

  for (const [file, [at, message]] of Object.entries(expected)) {
    it(`${file}: exit 2 with ${at} and a specific message; no database created`, async () => {
      const db = join(dir, `${file}.db`);
      const stdout = sink();
      const stderr = sink();
      const code = await main(['run', join(BAD, file), '--emulator', '--db', db], {
        stdout,
        stderr,
        signal: new AbortController().signal,
      });
      assert.equal(code, 2, stderr.text);
      const line = stderr.text.trim().split('\n').pop()!;
      assert.ok(
        line.startsWith(`rram-bench: error [INVALID_ARGUMENT]: ${join(BAD, file)}:${at}: `),
        line,
      );
      assert.match(line, message);
      assert.equal(existsSync(db), false, 'the database must not be created');
    });
  }

  it('an existing database is left byte-identical (spawned CLI, real exit code)', async () => {
    const db = join(dir, 'existing.db');
    const ok = await runCli(
      'run',
      'fixtures/campaigns/retention.yaml',
      '--emulator',
      '--time',
      'virtual',
      '--db',
      db,
    );
    assert.equal(ok.code, 0, ok.stderr);
    // The CLI closed the database cleanly, so the WAL is folded into the file: compare the file.
    const before = readFileSync(db);
    for (const file of ['unknown-field.yaml', 'weights-nan.yaml', 'region-outside-array.yaml']) {
      const r = await runCli('run', join(BAD, file), '--db', db);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`${file}:\\d+:\\d+: `));
    }
    assert.ok(readFileSync(db).equals(before), 'database file changed');
    assert.equal(existsSync(`${db}-wal`) && readFileSync(`${db}-wal`).length > 0, false);
  });
});
