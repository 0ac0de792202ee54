/**
 * One ChipDriver contract, run against every way of reaching a chip: the in-process
 * EmulatorDriver, the SerialDriver over the firmware emulator on a mock port (always), over a
 * real pseudo-terminal made by socat (when socat is installed), and over a real board (when
 * RRAM_PORT is set). On emulated chips with the same seed and a virtual clock, every result
 * must equal the EmulatorDriver's bit for bit.
 */
import assert from 'node:assert/strict';
import { SerialPortMock } from 'serialport';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import type {
  ChipDriver,
  ChipInfo,
  ConductanceMap,
  FormResult,
  MvmResult,
  ProgramEvent,
  PulseResult,
  ReadoutConfig,
  Region,
} from '../../drivers/driver.ts';
import { isBenchError } from '../../drivers/driver.ts';
import { EmulatorDriver } from '../../drivers/emulator/emulator-driver.ts';
import { Rng } from '../../drivers/emulator/rng.ts';
import { SerialDriver } from '../../drivers/serial/host/serial-driver.ts';
import { mockPortPair, startPty } from '../../drivers/serial/transport/transports.ts';
import { needsSocat } from '../needs-socat.ts';

// serialport's typings of binding-mock resolve under NodeNext; binding-mock's own do not.
const MockBinding = SerialPortMock.binding;

const SEED = 11;
const REGION: Region = { row: 2, col: 3, rows: 4, cols: 8 };
const N = REGION.rows * REGION.cols;
const MVM_ROWS = [2, 3, 4, 5];
const MVM_COLS = [3, 4, 5, 6, 7, 8, 9, 10];

function targets(): Float32Array {
  const r = new Rng(5);
  return Float32Array.from({ length: N }, () => 3 + 30 * r.uniform());
}

function inputs(batch: number, top: number): Uint8Array {
  const r = new Rng(6);
  return Uint8Array.from({ length: batch * MVM_ROWS.length }, () =>
    Math.floor(r.uniform() * (top + 1)),
  );
}

/** Everything the script observes, in order. */
interface Observed {
  info: ChipInfo;
  formed: FormResult;
  program: ProgramEvent[];
  read: ConductanceMap;
  configured: ReadoutConfig;
  readout: ReadoutConfig;
  mvm: MvmResult;
  pulse: PulseResult;
}

/** A driver under test and how to let it go. */
export interface Subject {
  driver: ChipDriver;
  dispose(): Promise<void>;
}

async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isBenchError(e), String(e));
    assert.equal(e.code, code, e.message);
    return true;
  });
}

const emulated = () => EmulatorDriver.create({ seed: SEED, clock: 'virtual' });

/** The golden run: the script on a fresh EmulatorDriver. */
let golden: Partial<Observed> | undefined;

/**
 * The contract: `makeDriver` gives a fresh chip. `sameAsEmulator`: it is an emulated chip of
 * seed SEED on a virtual clock, so its results must equal the EmulatorDriver's exactly.
 */
export function contractSuite(
  name: string,
  makeDriver: (ctx: Mocha.Context) => Promise<Subject>,
  sameAsEmulator = true,
): void {
  describe(`ChipDriver contract: ${name}`, function () {
    let s: Subject | undefined;
    /** The programmed conductances, for the read-back. */
    let finals: Float32Array | undefined;
    const seen: Partial<Observed> = {};
    const d = () => s!.driver;
    const check = <K extends keyof Observed>(key: K, value: Observed[K]) => {
      seen[key] = value;
      if (sameAsEmulator && golden && golden !== seen)
        assert.deepEqual(value, golden[key], `${key} differs from EmulatorDriver's`);
    };

    before(async function () {
      s = await makeDriver(this);
    });
    after(async () => {
      await s?.dispose();
    });

    it('identifies the chip: model, serial, geometry, protocol, limits', async () => {
      const info = await firstValueFrom(d().identify());
      assert.equal(info.protocolVersion, 1);
      assert.ok(info.rows > 0 && info.cols > 0);
      assert.ok(info.limits.set.amplitudeV.max > info.limits.set.amplitudeV.min);
      check('info', info);
    });

    it('refuses out-of-limit commands with LIMIT, changing nothing', async () => {
      const info = seen.info!;
      const tooHigh = info.limits.set.amplitudeV.max + 0.5;
      await expectCode(
        firstValueFrom(
          d().pulse({
            row: 0,
            col: 0,
            polarity: 'SET',
            amplitudeV: tooHigh,
            widthS: 1e-6,
            gateV: 1,
          }),
        ),
        'LIMIT',
      );
      await expectCode(
        firstValueFrom(
          d().program({
            region: REGION,
            targetsMicroS: new Float32Array(N).fill(info.conductanceWindowMicroS.max + 1),
          }),
        ),
        'LIMIT',
      );
      await expectCode(
        firstValueFrom(d().configure({ readV: info.limits.readV.max * 2 })),
        'LIMIT',
      );
    });

    it('forms a region', async () => {
      const formed = await firstValueFrom(d().form({ region: REGION }));
      assert.equal(formed.formed.length, N);
      // Independent of any driver: the default ramp forms cells with at least one pulse each,
      // and a formed cell conducts inside the chip's window.
      const info = seen.info!;
      const w = info.conductanceWindowMicroS;
      const ramp = info.limits.forming;
      for (let k = 0; k < N; k++) {
        assert.ok(
          formed.pulses[k]! >= 1 && formed.pulses[k]! <= ramp.maxPulses,
          `cell ${k}: ${formed.pulses[k]} forming pulses`,
        );
        if (formed.formed[k])
          assert.ok(
            formed.conductanceMicroS[k]! > 0 && formed.conductanceMicroS[k]! <= 1.5 * w.max,
            `formed cell ${k} at ${formed.conductanceMicroS[k]} µS`,
          );
      }
      assert.ok(formed.formed.every((f) => f === 0 || f === 1));
      assert.ok(formed.formed.reduce((a, b) => a + b, 0) >= N - 2, 'nearly every cell formed');
      check('formed', formed);
    });

    it('programs a region: progress per row, then the result', async () => {
      const events = await lastValueFrom(
        d().program({ region: REGION, targetsMicroS: targets() }).pipe(toArray()),
      );
      assert.deepEqual(
        events.slice(0, -1).map((e) => (e.kind === 'progress' ? e.rowsDone : -1)),
        [1, 2, 3, 4],
      );
      const last = events.at(-1)!;
      assert.equal(last.kind, 'result');
      // Converged means within the default tolerance (1 µS) of the target at the last verify.
      const t = targets();
      if (last.kind === 'result') {
        const r = last.result;
        let converged = 0;
        for (let k = 0; k < N; k++)
          if (r.converged[k]) {
            converged++;
            assert.ok(
              Math.abs(r.finalMicroS[k]! - t[k]!) <= 1 + 1e-4,
              `cell ${k}: ${r.finalMicroS[k]} µS for ${t[k]} µS`,
            );
          }
        assert.ok(converged >= 0.9 * N, `${converged} of ${N} cells converged`);
        finals = r.finalMicroS;
      }
      check('program', events);
    });

    it('reads a region', async () => {
      const map = await firstValueFrom(d().read({ region: REGION, average: 2 }));
      assert.equal(map.microS.length, N);
      assert.equal(map.average, 2);
      // What was just programmed reads back near its last verify (read noise and a moment's
      // relaxation apart): on average within 1 µS.
      let dev = 0;
      for (let k = 0; k < N; k++) dev += Math.abs(map.microS[k]! - finals![k]!);
      assert.ok(dev / N < 1, `read back ${dev / N} µS from the programmed values on average`);
      check('read', map);
    });

    it('configures the readout and reports it back', async () => {
      const configured = await firstValueFrom(d().configure({ precisionBits: 4, readV: 0.15 }));
      assert.equal(configured.precisionBits, 4);
      assert.equal(configured.readV, 0.15);
      check('configured', configured);
      const readout = await firstValueFrom(d().readout());
      assert.deepEqual(readout, configured);
      check('readout', readout);
    });

    it('runs a batch of MVMs at the configured precision', async () => {
      const m = await firstValueFrom(
        d().mvm({ rows: MVM_ROWS, cols: MVM_COLS, inputs: inputs(10, 15) }),
      );
      assert.equal(m.batch, 10);
      assert.equal(m.precisionBits, 4);
      assert.equal(m.values.length, 10 * MVM_COLS.length);
      assert.ok(m.values.every((v) => v <= 15));
      check('mvm', m);
    });

    it('applies a pulse: applied once, and a RESET lowers the cell', async () => {
      const cell = { row: REGION.row, col: REGION.col, rows: 1, cols: 1 };
      const before = await firstValueFrom(d().read({ region: cell, average: 16 }));
      const p = await firstValueFrom(
        d().pulse({
          row: REGION.row,
          col: REGION.col,
          polarity: 'RESET',
          amplitudeV: 1.5,
          widthS: 1e-6,
          gateV: 3,
          count: 5,
        }),
      );
      assert.deepEqual([p.row, p.col], [REGION.row, REGION.col]);
      assert.ok(p.applied >= 1 && p.applied <= 5, `${p.applied} of 5 pulses applied`);
      const after = await firstValueFrom(d().read({ region: cell, average: 16 }));
      assert.ok(
        after.microS[0]! < before.microS[0]! - 0.5,
        `RESET moved the cell from ${before.microS[0]} to ${after.microS[0]} µS`,
      );
      check('pulse', p);
    });

    it('goes idle', async () => {
      const v = await lastValueFrom(d().idle().pipe(toArray()));
      assert.equal(v.length, 1);
    });

    it('after close, operations fail with CLOSED', async () => {
      await d().close();
      await expectCode(firstValueFrom(d().identify()), 'CLOSED');
      await expectCode(firstValueFrom(d().read({ region: REGION })), 'CLOSED');
    });
  });
}

describe('ChipDriver contract', function () {
  before(async () => {
    // The golden run every emulated driver must reproduce.
    const e = await emulated();
    const g: Partial<Observed> = {};
    g.info = await firstValueFrom(e.identify());
    g.formed = await firstValueFrom(e.form({ region: REGION }));
    g.program = await lastValueFrom(
      e.program({ region: REGION, targetsMicroS: targets() }).pipe(toArray()),
    );
    g.read = await firstValueFrom(e.read({ region: REGION, average: 2 }));
    g.configured = await firstValueFrom(e.configure({ precisionBits: 4, readV: 0.15 }));
    g.readout = await firstValueFrom(e.readout());
    g.mvm = await firstValueFrom(e.mvm({ rows: MVM_ROWS, cols: MVM_COLS, inputs: inputs(10, 15) }));
    await firstValueFrom(
      e.read({ region: { row: REGION.row, col: REGION.col, rows: 1, cols: 1 }, average: 16 }),
    );
    g.pulse = await firstValueFrom(
      e.pulse({
        row: REGION.row,
        col: REGION.col,
        polarity: 'RESET',
        amplitudeV: 1.5,
        widthS: 1e-6,
        gateV: 3,
        count: 5,
      }),
    );
    await e.close();
    golden = g;
  });

  contractSuite('EmulatorDriver', async () => {
    const driver = await emulated();
    return { driver, dispose: () => driver.close() };
  });

  contractSuite('SerialDriver over the firmware on a mock port', async () => {
    const chip = await emulated();
    const pair = mockPortPair('/dev/ttyCONTRACT', chip);
    const driver = await SerialDriver.open({ path: pair.path, binding: pair.binding });
    return {
      driver,
      async dispose() {
        await driver.close();
        await pair.close();
        await chip.close();
        MockBinding.reset();
      },
    };
  });

  contractSuite('SerialDriver over a pseudo-terminal (socat)', async (ctx) => {
    needsSocat(ctx);
    const chip = await emulated();
    const pty = await startPty(chip);
    const driver = await SerialDriver.open({ path: pty.path });
    return {
      driver,
      async dispose() {
        await driver.close();
        await pty.close();
        await chip.close();
      },
    };
  });

  const realPort = process.env.RRAM_PORT;
  if (realPort)
    contractSuite(
      `SerialDriver on the board at ${realPort}`,
      async () => {
        const driver = await SerialDriver.open({
          path: realPort,
          baudRate: Number(process.env.RRAM_BAUD ?? 921600),
        });
        return { driver, dispose: () => driver.close() };
      },
      false,
    );
  else
    describe('ChipDriver contract: SerialDriver on a real board', () => {
      it(
        'runs when RRAM_PORT names the board’s port (e.g. RRAM_PORT=/dev/ttyUSB0 npm run mocha); not set here',
      );
    });
});
