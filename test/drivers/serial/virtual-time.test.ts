/**
 * Science over the wire equals science in-process (issue 11, bugs 1 and 3): on the virtual
 * clock the characterise pipeline gives the same NoiseModel, to the bit, whether the chip is
 * driven in-process or through a board on a pseudo-terminal — the host's waits reach the
 * board's clock (`WAIT`), and a region is read at one chip time however the link splits its
 * reply (`SNAP`/`FETCH`).
 */
import assert from 'node:assert/strict';
import { firstValueFrom, lastValueFrom, tap } from 'rxjs';
import type { ChipDriver, Region } from '../../../drivers/driver.ts';
import { EmulatorDriver } from '../../../drivers/emulator/emulator-driver.ts';
import { SerialDriver } from '../../../drivers/serial/host/serial-driver.ts';
import { mockPortPair, startPty } from '../../../drivers/serial/transport/transports.ts';
import { characterize } from '../../../src/pipeline/characterize.ts';
import type { NoiseModelJson } from '../../../src/pipeline/noise-model.ts';
import { needsSocat } from '../../needs-socat.ts';

const REGION: Region = { row: 0, col: 0, rows: 32, cols: 8 };

/** The demo campaign's form and characterise steps; the model and the relaxation maps' chip times. */
async function science(d: ChipDriver): Promise<{ model: NoiseModelJson; times: number[] }> {
  await firstValueFrom(d.form({ region: REGION }));
  const times: number[] = [];
  const events = characterize(d, {
    region: REGION,
    noiseReads: 4,
    mapAverage: 4,
    relaxationTimesS: [1, 3],
  });
  const last = await lastValueFrom(
    events.pipe(
      tap((e) => {
        if (e.kind === 'step' && e.step === 'relaxation') times.push(e.map.timeS);
      }),
    ),
  );
  if (last.kind !== 'model') throw new Error('no model');
  return { model: last.model.toJSON(), times };
}

describe('virtual time over the wire', function () {
  this.timeout(120_000);
  let inProcess: { model: NoiseModelJson; times: number[] } | undefined;

  before(async () => {
    const chip = await EmulatorDriver.create({ seed: 7, clock: 'virtual' });
    inProcess = await science(chip);
    await chip.close();
  });

  it('in-process: relaxation maps are read about 1 s and 3 s after programming', () => {
    const [t1, t3] = inProcess!.times as [number, number];
    assert.ok(t1 > 1 && t1 < 1.5, `first map about 1 s in, got ${t1}`);
    assert.ok(t3 - t1 > 1.99 && t3 - t1 < 2.01, `maps 2 s apart, got ${t3 - t1}`);
  });

  it('pseudo-terminal (socat): the same NoiseModel to the bit', async function () {
    needsSocat(this);
    const chip = await EmulatorDriver.create({ seed: 7, clock: 'virtual' });
    const pty = await startPty(chip);
    const driver = await SerialDriver.open({ path: pty.path });
    try {
      const got = await science(driver);
      assert.deepEqual(got.times, inProcess!.times);
      assert.deepEqual(got.model, inProcess!.model);
    } finally {
      await driver.close();
      await pty.close();
      await chip.close();
    }
  });

  it('small lines (reads split into SNAP + FETCH): still the same NoiseModel to the bit', async () => {
    const chip = await EmulatorDriver.create({ seed: 7, clock: 'virtual' });
    const pair = mockPortPair('/dev/ttyVT', chip);
    // 512-byte lines hold 96 cells: every 256-cell map read is a SNAP and three FETCHes.
    const driver = await SerialDriver.open({
      path: pair.path,
      binding: pair.binding,
      maxLineBytes: 512,
    });
    try {
      const got = await science(driver);
      assert.deepEqual(got.model, inProcess!.model);
      const snaps = pair.firmware.counters.executed;
      assert.ok(snaps > 0, 'the board executed requests');
    } finally {
      await driver.close();
      await pair.close();
      await chip.close();
    }
  });
});
