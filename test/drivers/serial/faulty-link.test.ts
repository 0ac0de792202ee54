/**
 * The must-show of issue 3: with link faults on (1e-4 corrupted bytes, 1% dropped and 1%
 * duplicated lines both ways, one unplug in the middle of programming), forming and
 * programming a 64×64 region and a batch of 1,000 MVMs give exactly the results of a fault-free
 * run of the same seed, and the firmware's pulse log shows every FORM and PROG executed once.
 */
import assert from 'node:assert/strict';
import { SerialPortMock } from 'serialport';
import { firstValueFrom, lastValueFrom } from 'rxjs';
import type { MvmResult, ProgramEvent, Region } from '../../../drivers/driver.ts';
import { EmulatorDriver } from '../../../drivers/emulator/emulator-driver.ts';
import { Rng } from '../../../drivers/emulator/rng.ts';
import type { Firmware } from '../../../drivers/serial/board/firmware.ts';
import type { FaultOptions, LinkFaults } from '../../../drivers/serial/faults/faults.ts';
import {
  SerialDriver,
  type SerialDriverOptions,
} from '../../../drivers/serial/host/serial-driver.ts';
import { mockPortPair, startPty } from '../../../drivers/serial/transport/transports.ts';
import { needsSocat } from '../../needs-socat.ts';

// serialport's typings of binding-mock resolve under NodeNext; binding-mock's own do not.
const MockBinding = SerialPortMock.binding;

const REGION: Region = { row: 0, col: 0, rows: 64, cols: 64 };
const ROWS = Array.from({ length: 64 }, (_, i) => i);

interface Outcome {
  program: ProgramEvent;
  mvm: MvmResult;
  driver: SerialDriver;
}

async function workload(driver: SerialDriver): Promise<Outcome> {
  const r = new Rng(21);
  const targets = Float32Array.from({ length: 64 * 64 }, () => 2 + 36 * r.uniform());
  const inputs = Uint8Array.from({ length: 1000 * 64 }, () => Math.floor(256 * r.uniform()));
  await firstValueFrom(driver.form({ region: REGION }));
  const program = await lastValueFrom(driver.program({ region: REGION, targetsMicroS: targets }));
  const mvm = await firstValueFrom(driver.mvm({ rows: ROWS, cols: ROWS, inputs }));
  return { program, mvm, driver };
}

function faults(seed: number, unplugAfterBytes?: number): LinkFaults {
  const f = (s: number): FaultOptions => ({
    seed: s,
    corruptRate: 1e-4,
    dropLineRate: 0.01,
    duplicateLineRate: 0.01,
  });
  return { toBoard: { ...f(seed), unplugAfterBytes, replugAfterMs: 300 }, toHost: f(seed + 1) };
}

/**
 * Every FORM and PROG line executed exactly once, none refused, and together they cover the
 * 64×64 region exactly once (a noisy link cuts rows into more segments, never twice the same).
 */
function executedOnce(fw: Firmware): void {
  for (const verb of ['FORM', 'PROG']) {
    const log = fw.pulseLog.filter((e) => e.verb === verb);
    assert.equal(new Set(log.map((e) => e.line)).size, log.length, `a ${verb} line ran twice`);
    assert.ok(
      log.every((e) => e.code === 0),
      `a ${verb} was refused`,
    );
    const covered = new Uint8Array(64 * 64);
    for (const e of log) {
      const a = e.line.split(' ').slice(2).map(Number);
      const [row, col, rows, cols] = verb === 'FORM' ? a : [a[0], a[1], 1, a[2]];
      for (let r = row!; r < row! + rows; r++)
        for (let c = col!; c < col! + cols!; c++) covered[r * 64 + c]!++;
    }
    assert.ok(
      covered.every((n) => n === 1),
      `${verb} lines cover the region ${[...new Set(covered)].join('/')} times`,
    );
  }
}

/**
 * Options for a lossy link. At 1e-4 corrupted bytes a 2 KiB request-and-reply pair fails one
 * time in three, so 6 tries of each of ~45 MVM requests fail now and then; 1 KiB lines fail
 * one time in five, and 11 tries make a give-up a 1-in-10^8 event. The short margin retries fast.
 */
const LOSSY: Partial<SerialDriverOptions> = { maxLineBytes: 1024, retries: 10, timeoutMs: 250 };

describe('SerialDriver on a faulty link', function () {
  this.timeout(180_000);
  let clean: Outcome | undefined;
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });
  after(() => MockBinding.reset());

  before(async () => {
    const chip = await EmulatorDriver.create({ seed: 3, clock: 'virtual' });
    const pair = mockPortPair('/dev/ttyCLEAN', chip);
    const driver = await SerialDriver.open({ path: pair.path, binding: pair.binding });
    clean = await workload(driver);
    executedOnce(pair.firmware);
    await driver.close();
    await pair.close();
    await chip.close();
  });

  it('mock port: same results as a fault-free run, every FORM/PROG executed once', async () => {
    const chip = await EmulatorDriver.create({ seed: 3, clock: 'virtual' });
    // About 4 KB of FORM then 27 KB of PROG towards the board: unplug half-way through PROG.
    const pair = mockPortPair('/dev/ttyFAULTY', chip, { faults: faults(9, 18_000) });
    const driver = await SerialDriver.open({ path: pair.path, binding: pair.binding, ...LOSSY });
    cleanups.push(async () => {
      await driver.close();
      await pair.close();
      await chip.close();
    });
    const got = await workload(driver);
    assert.deepEqual(got.program, clean!.program);
    assert.deepEqual(got.mvm.values, clean!.mvm.values);
    executedOnce(pair.firmware);
    const s = driver.stats;
    const f = pair.faults;
    console.log(
      `      faults: to board ${JSON.stringify(f.toBoard?.counters)}, to host ${JSON.stringify(f.toHost?.counters)}\n` +
        `      host: ${JSON.stringify({ ...s, boardErrors: s.boardErrors.length })}`,
    );
    assert.equal(s.reconnects, 1, 'one unplug, one reconnect');
    assert.ok(s.retries > 0 && s.unmatched > 0);
  });

  it('pseudo-terminal (socat): same results with an unplug of the pty in the middle of programming', async function () {
    needsSocat(this);
    const chip = await EmulatorDriver.create({ seed: 3, clock: 'virtual' });
    const pty = await startPty(chip, { faults: faults(17, 18_000) });
    const driver = await SerialDriver.open({ path: pty.path, ...LOSSY });
    cleanups.push(async () => {
      await driver.close();
      await pty.close();
      await chip.close();
    });
    const got = await workload(driver);
    assert.deepEqual(got.program, clean!.program);
    assert.deepEqual(got.mvm.values, clean!.mvm.values);
    executedOnce(pty.firmware);
    const s = driver.stats;
    console.log(
      `      faults: to board ${JSON.stringify(pty.faults.toBoard?.counters)}, to host ${JSON.stringify(pty.faults.toHost?.counters)}\n` +
        `      host: ${JSON.stringify({ ...s, boardErrors: s.boardErrors.length })}`,
    );
    assert.equal(s.reconnects, 1);
  });
});
