import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import type { ChipInfo, PulseRequest, Region, BenchError } from '../../../drivers/driver.ts';
import { isBenchError } from '../../../drivers/driver.ts';
import { ManualClock } from '../../../drivers/emulator/clock.ts';
import { EmulatorDriver } from '../../../drivers/emulator/emulator-driver.ts';
import { countsPerMicroSPulse, datasheet } from '../../../drivers/emulator/energy.ts';
import { loadProfile } from '../../../drivers/emulator/profile.ts';
import { Rng } from '../../../drivers/emulator/rng.ts';

const full = (n: number) => Array.from({ length: n }, (_, i) => i);

/** A fingerprint of everything a command could change. */
function fingerprint(d: EmulatorDriver): string {
  const h = createHash('sha256');
  const s = d.macro.toState();
  h.update(JSON.stringify({ config: s.config, rng: s.rng }));
  for (const v of Object.values(s.cells))
    if (ArrayBuffer.isView(v)) h.update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  return h.digest('hex');
}

async function formedChip(
  options: Parameters<typeof EmulatorDriver.create>[0],
  region: Region,
): Promise<EmulatorDriver> {
  const d = await EmulatorDriver.create({ clock: new ManualClock(1000), ...options });
  await firstValueFrom(d.form({ region }));
  return d;
}

function randomTargets(n: number, seed: number, lo = 1, hi = 40): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * r.uniform());
}

async function programmed(d: EmulatorDriver, region: Region, seed = 3): Promise<void> {
  const events = await lastValueFrom(
    d
      .program({ region, targetsMicroS: randomTargets(region.rows * region.cols, seed) })
      .pipe(toArray()),
  );
  assert.equal(events.at(-1)!.kind, 'result');
}

function randomInputs(n: number, seed: number, top = 255): Uint8Array {
  const r = new Rng(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(r.uniform() * (top + 1)));
}

describe('EmulatorDriver', () => {
  describe('identify', () => {
    it('reports identity, geometry, modes and the safe operating area of the profile', async () => {
      const d = await EmulatorDriver.create({ seed: 0x2a });
      const info: ChipInfo = await firstValueFrom(d.identify());
      assert.equal(info.model, 'vlsi19-hfo2-256');
      assert.equal(info.serial, 'EMU-0000002a');
      assert.equal(info.protocolVersion, 1);
      assert.deepEqual([info.rows, info.cols], [256, 256]);
      assert.deepEqual(info.readoutModes, ['COUNT', 'TTFS']);
      assert.deepEqual(info.precisionBits, { min: 1, max: 8 });
      assert.deepEqual(info.conductanceWindowMicroS, { min: 1, max: 40 });
      assert.equal(info.limits.set.amplitudeV.max, 4);
      assert.equal(info.emulated, true);
      await d.close();
    });
  });

  describe('safe operating area', () => {
    const region: Region = { row: 0, col: 0, rows: 2, cols: 2 };
    const okPulse: PulseRequest = {
      row: 0,
      col: 0,
      polarity: 'SET',
      amplitudeV: 2,
      widthS: 1e-6,
      gateV: 1.5,
    };
    const refused: [string, (d: EmulatorDriver) => Promise<unknown>, string][] = [
      [
        'SET amplitude above max',
        (d) => firstValueFrom(d.pulse({ ...okPulse, amplitudeV: 4.01 })),
        'LIMIT',
      ],
      [
        'RESET amplitude above max',
        (d) => firstValueFrom(d.pulse({ ...okPulse, polarity: 'RESET', amplitudeV: 5 })),
        'LIMIT',
      ],
      [
        'amplitude below min',
        (d) => firstValueFrom(d.pulse({ ...okPulse, amplitudeV: 0.1 })),
        'LIMIT',
      ],
      ['gate above max', (d) => firstValueFrom(d.pulse({ ...okPulse, gateV: 3.4 })), 'LIMIT'],
      ['negative gate', (d) => firstValueFrom(d.pulse({ ...okPulse, gateV: -0.1 })), 'LIMIT'],
      ['pulse too wide', (d) => firstValueFrom(d.pulse({ ...okPulse, widthS: 1e-4 })), 'LIMIT'],
      ['pulse too short', (d) => firstValueFrom(d.pulse({ ...okPulse, widthS: 1e-9 })), 'LIMIT'],
      [
        'NaN amplitude',
        (d) => firstValueFrom(d.pulse({ ...okPulse, amplitudeV: NaN })),
        'INVALID_ARGUMENT',
      ],
      [
        'cell outside the array',
        (d) => firstValueFrom(d.pulse({ ...okPulse, row: 256 })),
        'INVALID_ARGUMENT',
      ],
      ['forming above max', (d) => firstValueFrom(d.form({ region, stopV: 5.5 })), 'LIMIT'],
      ['forming gate above max', (d) => firstValueFrom(d.form({ region, gateV: 2 })), 'LIMIT'],
      ['forming ramp too long', (d) => firstValueFrom(d.form({ region, stepV: 0.01 })), 'LIMIT'],
      ['forming width above max', (d) => firstValueFrom(d.form({ region, widthS: 1e-3 })), 'LIMIT'],
      [
        'target above the window',
        (d) => lastValueFrom(d.program({ region, targetsMicroS: Float32Array.of(10, 10, 41, 10) })),
        'LIMIT',
      ],
      [
        'NaN target',
        (d) =>
          lastValueFrom(d.program({ region, targetsMicroS: Float32Array.of(10, NaN, 10, 10) })),
        'INVALID_ARGUMENT',
      ],
      [
        'targets of the wrong shape',
        (d) => lastValueFrom(d.program({ region, targetsMicroS: Float32Array.of(10, 10, 10) })),
        'INVALID_ARGUMENT',
      ],
      [
        'too many pulses per polarity',
        (d) =>
          lastValueFrom(
            d.program({
              region,
              targetsMicroS: new Float32Array(4).fill(5),
              maxPulsesPerPolarity: 31,
            }),
          ),
        'LIMIT',
      ],
      [
        'read averaging above max',
        (d) => firstValueFrom(d.read({ region, average: 65 })),
        // A limit the chip reports (LIM? maxReadAverage): docs/protocol.md §3.
        'LIMIT',
      ],
      [
        'region past the edge',
        (d) => firstValueFrom(d.read({ region: { row: 250, col: 0, rows: 7, cols: 1 } })),
        'INVALID_ARGUMENT',
      ],
      ['Vref above max', (d) => firstValueFrom(d.configure({ readV: 0.35 })), 'LIMIT'],
      ['Vth below min', (d) => firstValueFrom(d.configure({ vthV: 0.05 })), 'LIMIT'],
      [
        'precision 9 bits',
        (d) => firstValueFrom(d.configure({ precisionBits: 9 })),
        'INVALID_ARGUMENT',
      ],
      [
        'integration window of 1 s',
        (d) => firstValueFrom(d.configure({ integrationWindowS: 1 })),
        'LIMIT',
      ],
      [
        'MVM input above the precision',
        async (d) => {
          await firstValueFrom(d.configure({ precisionBits: 4 }));
          return firstValueFrom(d.mvm({ rows: [0, 1], cols: [0], inputs: Uint8Array.of(3, 16) }));
        },
        'INVALID_ARGUMENT',
      ],
      [
        'MVM batch above max',
        (d) => firstValueFrom(d.mvm({ rows: [0], cols: [0], inputs: new Uint8Array(4097) })),
        'LIMIT',
      ],
      [
        'MVM row twice',
        (d) => firstValueFrom(d.mvm({ rows: [3, 3], cols: [0], inputs: new Uint8Array(2) })),
        'INVALID_ARGUMENT',
      ],
      [
        'MVM ragged inputs',
        (d) => firstValueFrom(d.mvm({ rows: [0, 1], cols: [0], inputs: new Uint8Array(3) })),
        'INVALID_ARGUMENT',
      ],
    ];
    for (const [what, attempt, code] of refused) {
      it(`refuses ${what} with ${code} and changes nothing`, async () => {
        const d = await formedChip({ seed: 5 }, region);
        const before = fingerprint(d);
        const config = await firstValueFrom(d.readout());
        await assert.rejects(attempt(d), (e: unknown) => {
          assert.ok(
            isBenchError(e, code as BenchError['code']),
            `expected ${code}, got ${String(e)}`,
          );
          assert.ok((e as Error).message.length > 10);
          return true;
        });
        if (what !== 'MVM input above the precision') {
          assert.equal(fingerprint(d), before);
          assert.deepEqual(await firstValueFrom(d.readout()), config);
        }
        await d.close();
      });
    }

    it('accepts commands at the edges of the limits', async () => {
      const d = await formedChip({ seed: 5 }, region);
      const r = await firstValueFrom(
        d.pulse({ ...okPulse, amplitudeV: 4, gateV: 3.3, widthS: 1e-5 }),
      );
      assert.equal(r.applied, 1);
      await firstValueFrom(d.configure({ readV: 0.3, vthV: 0.1, precisionBits: 1 }));
      await d.close();
    });
  });

  describe('determinism and state', () => {
    const region: Region = { row: 0, col: 0, rows: 32, cols: 32 };

    it('gives the same bits for the same seed and different bits for another', async () => {
      const run = async (seed: number) => {
        const d = await formedChip({ seed }, region);
        await programmed(d, region);
        const map = await firstValueFrom(d.read({ region, average: 2 }));
        const out = await firstValueFrom(
          d.mvm({ rows: full(32), cols: full(32), inputs: randomInputs(32 * 64, 9) }),
        );
        await d.close();
        return [
          Buffer.from(map.microS.buffer).toString('hex'),
          Buffer.from(out.values).toString('hex'),
        ];
      };
      const [a, b, c] = [await run(11), await run(11), await run(12)];
      assert.deepEqual(a, b);
      assert.notDeepEqual(a[0], c[0]);
      assert.notDeepEqual(a[1], c[1]);
    });

    it('saves and reloads the whole chip: conductances, mismatch, readout settings and random streams', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'rram-state-'));
      const file = join(dir, 'chip.state');
      const clock = new ManualClock(1000);
      const a = await EmulatorDriver.create({ seed: 21, clock, chipState: file });
      await firstValueFrom(a.form({ region }));
      await programmed(a, region);
      await firstValueFrom(a.configure({ precisionBits: 6, readV: 0.25 }));
      const inputs = randomInputs(32 * 16, 4, 63);
      await a.close();

      const b = await EmulatorDriver.create({ clock, chipState: file });
      const c = await EmulatorDriver.create({ clock, chipState: file });
      assert.equal(b.info.serial, 'EMU-00000015');
      assert.equal((await firstValueFrom(b.readout())).precisionBits, 6);
      assert.deepEqual(b.macro.conductances(clock.now()), c.macro.conductances(clock.now()));
      assert.deepEqual(b.macro.readout.gain, a.macro.readout.gain);
      const mb = await firstValueFrom(b.mvm({ rows: full(32), cols: full(32), inputs }));
      const mc = await firstValueFrom(c.mvm({ rows: full(32), cols: full(32), inputs }));
      assert.deepEqual(mb.values, mc.values);
      // The reloaded chip is the programmed one, not a fresh chip of the same seed.
      const fresh = await EmulatorDriver.create({ seed: 21, clock });
      assert.notDeepEqual(fresh.macro.conductances(clock.now()), b.macro.conductances(clock.now()));
      await Promise.all([b.close(), c.close(), fresh.close()]);
    });

    it('refuses a corrupt state file or one of another profile with STATE_INVALID', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'rram-state-'));
      const junk = join(dir, 'junk.state');
      writeFileSync(junk, 'not a state');
      await assert.rejects(EmulatorDriver.create({ chipState: junk }), (e) =>
        isBenchError(e, 'STATE_INVALID'),
      );
      const file = join(dir, 'ideal.state');
      await (await EmulatorDriver.create({ profile: 'ideal', chipState: file })).close();
      await assert.rejects(EmulatorDriver.create({ chipState: file }), (e: unknown) => {
        assert.ok(isBenchError(e, 'STATE_INVALID'));
        assert.match((e as Error).message, /profile ideal/);
        return true;
      });
    });
  });

  describe('MVM on the ideal chip', () => {
    it('computes floor(Σ x·g·Vref·t/(C·Vth)) exactly, clipped at 2^b − 1', async () => {
      const region: Region = { row: 0, col: 0, rows: 64, cols: 16 };
      const d = await formedChip({ profile: 'ideal' }, region);
      const targets = randomTargets(64 * 16, 8);
      await lastValueFrom(d.program({ region, targetsMicroS: targets, toleranceMicroS: 0 }));
      const bits = 6;
      await firstValueFrom(d.configure({ precisionBits: bits }));
      const inputs = randomInputs(64 * 50, 2, 2 ** bits - 1);
      const out = await firstValueFrom(d.mvm({ rows: full(64), cols: full(16), inputs }));
      const scale = countsPerMicroSPulse(d.macro.profile, 0.2, 0.5);
      let exact = 0;
      for (let b = 0; b < 50; b++)
        for (let j = 0; j < 16; j++) {
          let s = 0;
          for (let i = 0; i < 64; i++) s += inputs[b * 64 + i]! * targets[i * 16 + j]!;
          const expected = Math.min(2 ** bits - 1, Math.floor(s * scale));
          const got = out.values[b * 16 + j]!;
          // float32 accumulation may land a hair below an integer boundary.
          assert.ok(
            got === expected || (got === expected - 1 && s * scale - expected < 1e-4),
            `${got} vs ${expected}`,
          );
          if (got === expected) exact++;
        }
      assert.ok(exact >= 799, `${exact}/800 exact`);
      assert.ok(out.energyJ > 0 && out.latencyS > 0);
      await d.close();
    });

    it('reports TTFS first-spike ticks: stronger columns earlier', async () => {
      const region: Region = { row: 0, col: 0, rows: 8, cols: 4 };
      const d = await formedChip({ profile: 'ideal' }, region);
      const targets = Float32Array.from({ length: 32 }, (_, k) => [2, 5, 15, 40][k % 4]!);
      await lastValueFrom(d.program({ region, targetsMicroS: targets, toleranceMicroS: 0 }));
      await firstValueFrom(d.configure({ mode: 'TTFS' }));
      const out = await firstValueFrom(
        d.mvm({ rows: full(8), cols: full(4), inputs: new Uint8Array(8).fill(200) }),
      );
      assert.equal(out.mode, 'TTFS');
      const t = [...out.values];
      assert.ok(t[0]! > t[1]! && t[1]! > t[2]! && t[2]! > t[3]!, t.join(','));
      await d.close();
    });
  });

  describe('IFC transfer through the MVM hot path', () => {
    // A noise- and mismatch-free chip with the real (saturating) IFC: every count the driver
    // returns must be min(2^b − 1, floor(nSat·q/(nSat + q))), q = Σ x·g / (256 µS·pulses).
    for (const batch of [1, 64]) {
      it(`batch ${batch}: counts follow the IFC formula in its linear, non-linear and clipped regions`, async () => {
        const profile = structuredClone(loadProfile('ideal'));
        profile.ifc.linear = false;
        const d = await EmulatorDriver.create({ profile, clock: new ManualClock(1) });
        const region: Region = { row: 0, col: 0, rows: 256, cols: 256 };
        await firstValueFrom(d.form({ region }));
        // Column j holds 1 + 39·j/255 µS in every row.
        const g = Float32Array.from({ length: 65536 }, (_, i) => 1 + (39 * (i % 256)) / 255);
        await lastValueFrom(d.program({ region, targetsMicroS: g, toleranceMicroS: 0 }));
        // Window 255 slots × 2 clocks at 50 MHz; t0 from the profile (≥ 1/99.24 MHz).
        const nSat = (255 * 2) / 50e6 / profile.ifc.t0S;
        const perSpike = 1 / countsPerMicroSPulse(profile, 0.2, 0.5);
        let nonlinear = 0;
        let clipped = 0;
        let checked = 0;
        for (const [rowsDriven, x] of [
          [8, 100],
          [64, 100],
          [256, 200],
        ] as const) {
          const one = Uint8Array.from({ length: 256 }, (_, i) => (i < rowsDriven ? x : 0));
          const inputs = new Uint8Array(256 * batch);
          for (let b = 0; b < batch; b++) inputs.set(one, b * 256);
          const r = await firstValueFrom(d.mvm({ rows: full(256), cols: full(256), inputs }));
          for (let b = 0; b < batch; b++) {
            for (let j = 0; j < 256; j++) {
              const q = (rowsDriven * x * Math.fround(1 + (39 * j) / 255)) / perSpike;
              const ideal = (nSat * q) / (nSat + q);
              // Skip values within float32 rounding of a count boundary.
              if (Math.abs(ideal - Math.round(ideal)) < 1e-3) continue;
              const expected = Math.min(255, Math.floor(ideal));
              const got = r.values[b * 256 + j]!;
              if (got !== expected)
                assert.fail(
                  `${rowsDriven} rows × ${x}, column ${j}, vector ${b}: ${got}, expected ${expected} (q ${q.toFixed(2)})`,
                );
              checked++;
              if (expected === 255) clipped++;
              else if (q - ideal > 1) nonlinear++;
            }
          }
        }
        assert.ok(checked > 700 * batch, `only ${checked} outputs checked`);
        assert.ok(nonlinear > 100 * batch, `only ${nonlinear} outputs in the non-linear region`);
        assert.ok(clipped > 100 * batch, `only ${clipped} outputs at the clip`);
        await d.close();
      });
    }
  });

  describe('energy of a batch', () => {
    it('grows with input activity and is near the datasheet per MAC on the datasheet workload', async () => {
      const region: Region = { row: 0, col: 0, rows: 256, cols: 256 };
      const d = await EmulatorDriver.create({ profile: 'ideal', clock: new ManualClock(1) });
      const sheet = datasheet(d.macro.profile);
      await firstValueFrom(d.form({ region }));
      // The datasheet workload: cells averaging a mapped network's 7.51 µS (uniform in
      // [1, 14.02] µS), inputs averaging 13.07% of full scale (uniform in [0, 66]: mean 33.0).
      const gMean = sheet.conditions.meanConductanceMicroS;
      await lastValueFrom(
        d.program({
          region,
          targetsMicroS: randomTargets(65536, 1, 1, 2 * gMean - 1),
          toleranceMicroS: 0,
        }),
      );
      const run = async (top: number) =>
        firstValueFrom(
          d.mvm({ rows: full(256), cols: full(256), inputs: randomInputs(256 * 32, 5, top) }),
        );
      const sparse = await run(16);
      const typical = await run(66);
      assert.ok(typical.energyJ > 2 * sparse.energyJ, 'energy does not grow with activity');
      // The array, driver and static terms are the datasheet's; the output spikes are the real
      // counts here (the datasheet assumes outputs at the input activity): correct for them.
      const p = d.macro.profile;
      const spikesPerMvm = typical.values.reduce((s, v) => s + v, 0) / 32;
      const sheetSpikes = 256 * sheet.conditions.inputActivity * 255;
      const expected =
        sheet.pjPerMac + (p.energy.spikeJ * (spikesPerMvm - sheetSpikes) * 1e12) / 65536;
      const pj = (typical.energyJ / (32 * 65536)) * 1e12;
      // Inputs are uniform draws, not exactly 13.07% on average (32 × 256 of them: ±0.6%): 3%.
      assert.ok(Math.abs(pj / expected - 1) < 0.03, `${pj} vs ${expected} pJ/MAC`);
      assert.ok(
        Math.abs(typical.latencyS / 32 - 11.08e-6) < 0.2e-6,
        `${typical.latencyS / 32} s per MVM`,
      );
      await d.close();
    });
  });

  describe('cancellation and lifecycle', () => {
    it('stops programming when unsubscribed, after the row in progress, and is idle', async () => {
      const region: Region = { row: 0, col: 0, rows: 64, cols: 64 };
      const d = await formedChip({ seed: 2 }, region);
      let rows = 0;
      await new Promise<void>((resolve) => {
        const sub = d.program({ region, targetsMicroS: randomTargets(4096, 1) }).subscribe((e) => {
          if (e.kind === 'progress' && ++rows === 3) {
            sub.unsubscribe();
            resolve();
          }
        });
      });
      const version = d.macro.cells.version;
      // The loop resumes on the next event-loop turns; give it several.
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
      assert.equal(d.macro.cells.version, version, 'no pulse after cancellation');
      assert.ok(d.isIdle);
      await d.close();
    });

    it('idle() aborts operations in flight with ABORTED', async () => {
      const region: Region = { row: 0, col: 0, rows: 64, cols: 64 };
      const d = await formedChip({ seed: 2 }, region);
      const pending = lastValueFrom(d.program({ region, targetsMicroS: randomTargets(4096, 1) }));
      await firstValueFrom(d.idle());
      await assert.rejects(pending, (e) => isBenchError(e, 'ABORTED'));
      assert.ok(d.isIdle);
      await d.close();
    });

    it('refuses every operation after close with CLOSED', async () => {
      const d = await EmulatorDriver.create();
      await d.close();
      await assert.rejects(firstValueFrom(d.identify()), (e) => isBenchError(e, 'CLOSED'));
      await d.close();
    });
  });
});

describe('EmulatorDriver on the virtual clock', () => {
  const region: Region = { row: 0, col: 0, rows: 16, cols: 16 };
  it('advances chip time by the modelled duration of each operation, and repeats to the bit', async () => {
    const run = async () => {
      const d = await EmulatorDriver.create({ seed: 4, clock: 'virtual' });
      const t0 = d.macro.clock.now();
      await firstValueFrom(d.form({ region }));
      const t1 = d.macro.clock.now();
      await programmed(d, region);
      const t2 = d.macro.clock.now();
      const out = await firstValueFrom(
        d.mvm({ rows: full(16), cols: full(16), inputs: randomInputs(16 * 100, 1) }),
      );
      const t3 = d.macro.clock.now();
      const map = await firstValueFrom(d.read({ region }));
      await d.close();
      assert.equal(t0, 0);
      assert.ok(t1 > 256 * 10e-6, `forming took ${t1} s`);
      assert.ok(t2 > t1);
      assert.ok(Math.abs(t3 - t2 - out.latencyS) < 1e-12);
      return [
        Buffer.from(out.values).toString('hex'),
        Buffer.from(map.microS.buffer).toString('hex'),
      ];
    };
    assert.deepEqual(await run(), await run());
  });
});
