import assert from 'node:assert/strict';
import { runCli } from './run-cli.ts';

interface Stat {
  label: string;
  cells: number;
  sigma1s: { model: number; reference: number };
  sigma1d: { model: number; reference: number };
  readNoise: { model: number; reference: number };
  drift: { model: number; diffusive: number };
}

describe('rram-bench chip characterize-model', function () {
  this.timeout(60_000);

  it('--json: six bands, the emulator within 10% of the reference in each (2000 cells per band)', async () => {
    const r = await runCli('chip', 'characterize-model', '--cells', '2000', '--json');
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { profile: string; bands: Stat[] };
    assert.equal(out.profile, 'vlsi19-hfo2-256');
    assert.deepEqual(
      out.bands.map((b) => b.label),
      ['G/gMax≈0.05 (1–2 µS)', '1–4 µS', '4–7 µS', 'G/gMax≈0.25', 'G/gMax≈0.5', 'G/gMax≈1'],
    );
    // 2000 cells: σ̂ has relative SE ≤ √((κ − 1)/4n) < 2.3% (κ < 5); 10% is > 4 SE.
    for (const b of out.bands) {
      assert.equal(b.cells, 2000, `${b.label}: cells`);
      for (const k of ['sigma1s', 'sigma1d', 'readNoise'] as const) {
        const ratio = b[k].model / b[k].reference;
        assert.ok(Math.abs(ratio - 1) < 0.1, `${b.label} ${k}: ${b[k].model} vs ${b[k].reference}`);
      }
    }
  });

  it('prints the table with both columns per figure', async () => {
    const r = await runCli('chip', 'characterize-model', '--cells', '200');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^band +cells +σ 1 s emu +σ 1 s ref +σ 1 day emu +σ 1 day ref/m);
    assert.match(r.stdout, /^1–4 µS +200 +[\d.]+ +[\d.]+/m);
    assert.match(r.stdout, /Reference: aihwkit ReRamWan2022NoiseModel/);
  });

  it('refuses a bad --cells naming it (exit 2)', async () => {
    const r = await runCli('chip', 'characterize-model', '--cells', '5');
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--cells/);
  });
});
