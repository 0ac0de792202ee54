import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli.ts';
import { runCli } from './run-cli.ts';

interface DemoJson {
  chip: { model: string };
  readout: { precisionBits: number; mode: string };
  region: { rows: number; cols: number };
  form: { cells: number; formed: number };
  program: { toleranceMicroS: number; converged: number; pulsesMean: number };
  read: { average: number; withinTolerance: number };
  mvm: {
    batch: number;
    counts: { mean: number; min: number; max: number };
    energyJ: number;
    chipTimeS: number;
  };
  datasheet: Record<string, unknown> | null;
  stepMs: Record<string, number>;
}

const steps = ['identify', 'configure', 'form', 'program', 'read', 'mvm', 'datasheet'];

describe('rram-bench demo', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rram-demo-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('runs every step on the emulated chip, one timed line each, and exits 0', async () => {
    const r = await runCli('demo');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /no --port given: using the emulated chip/);
    steps.forEach((step, i) =>
      assert.match(
        r.stdout,
        new RegExp(`^\\[${i + 1}/${steps.length}\\] ${step} .*\\([\\d.,]+ [µm]?s\\)$`, 'm'),
      ),
    );
    assert.match(r.stdout, /within tolerance/);
    assert.match(r.stdout, /read back after write-verify .* cells relaxed after their last verify/);
    assert.match(r.stdout, /pulses\/cell/);
    assert.match(r.stdout, /256 random 8-bit vectors/);
    assert.match(r.stdout, /pJ\/MAC/);
  });

  it('--json prints one JSON report (log lines on stderr)', async () => {
    const r = await runCli('demo', '--emulator', '--json');
    assert.equal(r.code, 0, r.stderr);
    const d = JSON.parse(r.stdout) as DemoJson;
    assert.deepEqual(Object.keys(d.stepMs), steps);
    assert.match(r.stderr, /\[7\/7\] datasheet/);
    assert.deepEqual([d.region.rows, d.region.cols], [64, 64]);
    assert.equal(d.form.cells, 4096);
    assert.equal(d.program.toleranceMicroS, 1);
    assert.ok(d.program.converged > 0 && d.program.converged <= 1);
    assert.ok(d.program.pulsesMean > 0);
    assert.equal(d.read.average, 4);
    assert.ok(d.read.withinTolerance >= 0 && d.read.withinTolerance <= 1);
    assert.equal(d.mvm.batch, 256);
    assert.ok(d.mvm.counts.max > 0, 'the MVMs produced spikes');
    assert.ok(d.mvm.counts.max < 255, 'the demo readout settings keep counts below saturation');
    assert.ok(d.mvm.energyJ > 0 && d.mvm.chipTimeS > 0);
    assert.ok(d.datasheet && typeof d.datasheet.pjPerMac === 'number');
  });

  it('--chip-state saves the emulated chip on close', async () => {
    const file = join(dir, 'chip.json');
    const r = await runCli('demo', '--emulator', '--chip-state', file);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(file), 'chip state file written');
  });

  it('Ctrl-C (the abort signal) stops the demo, closes the chip and exits 130', async () => {
    const abort = new AbortController();
    let out = '';
    let err = '';
    const code = await main(['demo', '--emulator'], {
      stdout: {
        write: (s: string) => {
          out += s;
          if (s.startsWith('[3/7]')) abort.abort();
        },
      },
      stderr: { write: (s: string) => (err += s) },
      signal: abort.signal,
    });
    assert.equal(code, 130, err);
    assert.match(out, /\[3\/7\] form/);
    assert.doesNotMatch(out, /\[4\/7\]/);
    assert.match(err, /error \[ABORTED\]/);
  });

  it('--port to a missing port fails cleanly', async () => {
    const r = await runCli('demo', '--port', '/dev/nonexistent');
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /\/dev\/nonexistent|\[UNSUPPORTED\]/);
  });
  it('repeats to the bit on the virtual clock: same seed, same measurements', async () => {
    const run = async () => {
      const r = await runCli('demo', '--time', 'virtual', '--seed', '3', '--json');
      assert.equal(r.code, 0, r.stderr);
      const d = JSON.parse(r.stdout) as DemoJson & { mvm: { hostMvmPerS?: number } };
      // Host-side timings are the only fields that may differ.
      delete d.mvm.hostMvmPerS;
      return { ...d, stepMs: undefined };
    };
    const [a, b] = [await run(), await run()];
    assert.deepEqual(a, b);
    const other = await runCli('demo', '--time', 'virtual', '--seed', '4', '--json');
    assert.notDeepEqual((JSON.parse(other.stdout) as DemoJson).read, a.read);
  });

  it('refuses an unknown --time with exit 2', async () => {
    const r = await runCli('demo', '--time', 'sundial');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--time must be wall or virtual, not sundial/);
  });
});
