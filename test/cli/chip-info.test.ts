import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, runCli } from './run-cli.ts';

const infoKeys = [
  'model',
  'serial',
  'firmwareVersion',
  'protocolVersion',
  'rows',
  'cols',
  'readoutModes',
  'precisionBits',
  'clockHz',
  'conductanceWindowMicroS',
  'limits',
  'emulated',
];
const datasheetKeys = [
  'pjPerMac',
  'powerMw',
  'gops8bit',
  'latencyNs8bit',
  'gops',
  'latencyNs',
  'mvmPerS',
];

interface Datasheet {
  pjPerMac: number;
  powerMw: number;
  gops8bit: number;
  latencyNs8bit: number;
  gops: number;
  latencyNs: number;
  mvmPerS: number;
  conditions: Record<string, number>;
}

async function chipInfoJson(
  ...args: string[]
): Promise<Record<string, unknown> & { datasheet: Datasheet }> {
  const r = await runCli('chip', 'info', '--emulator', '--json', ...args);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, unknown> & { datasheet: Datasheet };
}

describe('rram-bench chip info', () => {
  it('prints identity, the safe operating area and the datasheet as aligned text', async () => {
    const r = await runCli('chip', 'info', '--emulator');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '', 'an explicit --emulator needs no announcement');
    for (const label of [
      'Model',
      'Serial',
      'Firmware',
      'Array',
      'Readout modes',
      'Precision',
      'Clock',
      'Conductance window',
    ])
      assert.match(r.stdout, new RegExp(`^${label} +\\S`, 'm'), `missing ${label}`);
    assert.match(r.stdout, /vlsi19-hfo2-256 +\(emulated\)/);
    assert.match(r.stdout, /256 rows × 256 cols/);
    assert.match(r.stdout, /^Safe operating area$/m);
    for (const label of [
      'SET pulse',
      'RESET pulse',
      'Pulse width',
      'Read voltage',
      'IFC threshold',
      'Forming',
      'Write-verify',
      'Read averaging',
      'MVM batch',
    ])
      assert.match(r.stdout, new RegExp(`^  ${label}`, 'm'), `missing ${label}`);
    assert.match(r.stdout, /^Datasheet/m);
    assert.match(r.stdout, /pJ\/MAC/);
    assert.match(r.stdout, /mW/);
    assert.match(r.stdout, /GOPS, latency [\d.]+ ns/);
    assert.match(r.stdout, /Full-array MVMs/);
  });

  it('uses the emulator when no --port is given, and says so on stderr', async () => {
    const r = await runCli('chip', 'info');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /no --port given: using the emulated chip \(profile vlsi19-hfo2-256\)/);
    assert.match(r.stdout, /vlsi19-hfo2-256/);
  });

  it('--json prints one JSON object with the chip info and the datasheet', async () => {
    const info = await chipInfoJson();
    for (const key of infoKeys) assert.ok(key in info, `missing ${key}`);
    assert.equal(info.emulated, true);
    for (const key of datasheetKeys) {
      const v: unknown = info.datasheet[key as keyof Datasheet];
      assert.ok(
        typeof v === 'number' && Number.isFinite(v) && v > 0,
        `datasheet.${key} = ${JSON.stringify(v)}`,
      );
    }
    assert.deepEqual(Object.keys(info.datasheet.conditions).sort(), [
      'clockHz',
      'inputActivity',
      'meanConductanceMicroS',
      'precisionBits',
    ]);
  });

  it('the datasheet figures move with precision, clock and input activity', async () => {
    const base = await chipInfoJson();
    const p4 = await chipInfoJson('--precision', '4');
    assert.equal(p4.datasheet.conditions.precisionBits, 4);
    assert.ok(p4.datasheet.latencyNs < base.datasheet.latencyNs, 'fewer bits convert faster');
    assert.equal(p4.datasheet.latencyNs8bit, base.datasheet.latencyNs8bit);

    const fast = await chipInfoJson('--clock', '1e8');
    assert.equal(fast.datasheet.conditions.clockHz, 1e8);
    assert.ok(fast.datasheet.gops8bit > base.datasheet.gops8bit, 'a faster clock converts faster');

    const quiet = await chipInfoJson('--activity', '0.25');
    assert.equal(quiet.datasheet.conditions.inputActivity, 0.25);
    assert.notEqual(quiet.datasheet.powerMw, base.datasheet.powerMw);
  });

  it('text output names the chosen precision’s readout figures', async () => {
    const r = await runCli('chip', 'info', '--emulator', '--precision', '4');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /at 4-bit/);
    assert.match(r.stdout, /Readout at 8-bit/);
    assert.match(r.stdout, /Readout at 4-bit/);
  });

  // The three bundled profiles emulate the same chip model with the same identity and limits
  // (they differ in noise), so `chip info` itself cannot tell them apart: the bundled names are
  // checked through the emulator announcement, and a profile file whose limits differ proves
  // that the chip opened is the one the option names.
  it('--profile selects another bundled profile', async () => {
    for (const name of ['ideal', 'harsh']) {
      const r = await runCli('chip', 'info', '--json', '--profile', name);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, new RegExp(`using the emulated chip \\(profile ${name}\\)`));
      assert.equal((JSON.parse(r.stdout) as { emulated: boolean }).emulated, true);
    }
  });

  it('--profile FILE opens that profile: its limits are the ones reported', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rram-bench-profile-'));
    try {
      const profile = JSON.parse(
        readFileSync(join(repoRoot, 'fixtures/profiles/vlsi19-hfo2-256.json'), 'utf8'),
      ) as { name: string; conductance: { gMaxMicroS: number }; limits: { maxMvmBatch: number } };
      const base = await chipInfoJson();
      const baseLimits = base.limits as { maxMvmBatch: number };
      profile.name = 'narrow-window';
      profile.conductance.gMaxMicroS = 30;
      profile.limits.maxMvmBatch = baseLimits.maxMvmBatch - 7;
      const file = join(dir, 'narrow-window.json');
      writeFileSync(file, JSON.stringify(profile));
      const info = await chipInfoJson('--profile', file);
      assert.deepEqual(info.conductanceWindowMicroS, { min: 1, max: 30 });
      assert.equal(
        (info.limits as { maxMvmBatch: number }).maxMvmBatch,
        baseLimits.maxMvmBatch - 7,
      );
      assert.deepEqual(base.conductanceWindowMicroS, { min: 1, max: 40 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an unknown profile is invalid input (exit 2) naming it', async () => {
    const r = await runCli('chip', 'info', '--emulator', '--profile', 'no-such-profile');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /error \[PROFILE_INVALID\]: .*no-such-profile/);
  });

  it('--port to a missing port fails cleanly with a chip/link exit code, naming the port', async () => {
    const r = await runCli('chip', 'info', '--port', '/dev/nonexistent');
    assert.notEqual(r.code, 0);
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^rram-bench: error \[[A-Z_]+\]: /);
    assert.match(r.stderr, /\/dev\/nonexistent|\[UNSUPPORTED\]/);
    assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/, 'no stack trace for an expected failure');
  });
});
