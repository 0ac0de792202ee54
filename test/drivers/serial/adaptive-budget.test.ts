/**
 * The adaptive line budget (docs/protocol.md §5.9): the policy on its own, lazy tiling, and the
 * must-show — with the DEFAULT driver options (16 KiB lines, 5 retries, 1 s margin) a link with
 * 1e-4 corrupted bytes and 1% dropped and 1% duplicated lines both ways still programs a 64×64
 * region and runs 1,000 MVMs with exactly the results of a fault-free run, every PROG executed
 * once: trouble halves the budget, so later requests are short enough to get through.
 */
import assert from 'node:assert/strict';
import { SerialPortMock } from 'serialport';
import { firstValueFrom, lastValueFrom } from 'rxjs';
import type { MvmResult, ProgramEvent, Region } from '../../../drivers/driver.ts';
import { EmulatorDriver } from '../../../drivers/emulator/emulator-driver.ts';
import { Rng } from '../../../drivers/emulator/rng.ts';
import { MAX_LINE_BYTES } from '../../../drivers/serial/wire/codec.ts';
import type { FaultOptions, LinkFaults } from '../../../drivers/serial/faults/faults.ts';
import { LineBudget } from '../../../drivers/serial/host/line-budget.ts';
import { nextTile, tiles, type Tile } from '../../../drivers/serial/host/region-tiles.ts';
import { SerialDriver } from '../../../drivers/serial/host/serial-driver.ts';
import { mockPortPair } from '../../../drivers/serial/transport/transports.ts';

// serialport's typings of binding-mock resolve under NodeNext; binding-mock's own do not.
const MockBinding = SerialPortMock.binding;

describe('adaptive line budget', function () {
  describe('policy', () => {
    it('starts at the ceiling and halves on trouble, down to the floor', () => {
      const b = new LineBudget({ ceiling: 16384 });
      assert.equal(b.value, 16384);
      assert.equal(b.floor, 1024);
      const seen: number[] = [];
      for (let i = 0; i < 6; i++) {
        b.trouble();
        seen.push(b.value);
      }
      assert.deepEqual(seen, [8192, 4096, 2048, 1024, 1024, 1024]);
      assert.equal(b.cuts, 4, 'no cut below the floor');
    });

    it('cuts once for a burst: trouble of requests sent before the last cut is ignored', () => {
      const b = new LineBudget({ ceiling: 16384 });
      const sentAt = b.generation;
      assert.ok(b.trouble(sentAt));
      assert.ok(!b.trouble(sentAt), 'second resend of the same flight');
      assert.equal(b.value, 8192);
      assert.ok(b.trouble(b.generation), 'a request sent after the cut');
      assert.equal(b.value, 4096);
    });

    it('recovers after a run of clean replies, doubling up to the ceiling', () => {
      const b = new LineBudget({ ceiling: 16384, recoverAfter: 32 });
      for (let i = 0; i < 4; i++) b.trouble();
      assert.equal(b.value, 1024);
      for (let i = 0; i < 31; i++) assert.ok(!b.ok());
      assert.ok(b.ok());
      assert.equal(b.value, 2048);
      // Trouble ends the run: 31 clean, trouble, 31 clean raise nothing.
      for (let i = 0; i < 31; i++) b.ok();
      b.trouble(-1); // trouble of an old flight: no cut, but the run starts over
      assert.equal(b.value, 2048);
      for (let i = 0; i < 31; i++) assert.ok(!b.ok());
      for (let i = 0; i < 32 * 10; i++) b.ok();
      assert.equal(b.value, 16384, 'never above the ceiling');
      assert.equal(b.raises, 4);
    });

    it('a ceiling below the default floor is also the floor', () => {
      const b = new LineBudget({ ceiling: 512 });
      assert.equal(b.floor, 512);
      assert.ok(!b.trouble());
      assert.equal(b.value, 512);
    });
  });

  describe('lazy tiling', () => {
    const region: Region = { row: 3, col: 5, rows: 7, cols: 10 };
    const all = (maxCells: (i: number) => number, rowsPerTile?: number) => {
      const out: Tile[] = [];
      let offset = 0;
      for (let t; (t = nextTile(region, offset, maxCells(out.length), rowsPerTile));) {
        out.push(t);
        offset = t.offset + t.rows * t.cols;
      }
      return out;
    };

    it('with a fixed budget gives the same tiles as splitting up front', () => {
      for (const max of [1, 3, 10, 25, 70, 1000])
        for (const per of [1, Infinity])
          assert.deepEqual(
            all(() => max, per),
            tiles(region, max, per),
          );
    });

    it('with a changing budget covers every cell once, each tile contiguous', () => {
      const got = all((i) => [30, 4, 4, 100, 3, 50][i % 6]!);
      const cells = new Uint8Array(region.rows * region.cols);
      for (const t of got) {
        assert.ok(t.rows === 1 || t.cols === region.cols);
        assert.equal(t.offset, (t.row - region.row) * region.cols + t.col - region.col);
        for (let i = 0; i < t.rows * t.cols; i++) cells[t.offset + i]! += 1;
      }
      assert.ok(cells.every((c) => c === 1));
    });
  });

  describe('SerialDriver with default options on a noisy link', function () {
    this.timeout(60_000);
    after(() => MockBinding.reset());

    const REGION: Region = { row: 0, col: 0, rows: 64, cols: 64 };
    const ROWS = Array.from({ length: 64 }, (_, i) => i);

    async function workload(driver: SerialDriver) {
      const r = new Rng(21);
      const targets = Float32Array.from({ length: 64 * 64 }, () => 2 + 36 * r.uniform());
      const inputs = Uint8Array.from({ length: 1000 * 64 }, () => Math.floor(256 * r.uniform()));
      const program: ProgramEvent = await lastValueFrom(
        driver.program({ region: REGION, targetsMicroS: targets }),
      );
      const mvm: MvmResult = await firstValueFrom(driver.mvm({ rows: ROWS, cols: ROWS, inputs }));
      return { program, mvm };
    }

    async function run(path: string, faults?: LinkFaults) {
      const chip = await EmulatorDriver.create({ seed: 3, clock: 'virtual' });
      const pair = mockPortPair(path, chip, faults ? { faults } : {});
      // Default options: no maxLineBytes, retries or timeoutMs.
      const driver = await SerialDriver.open({ path: pair.path, binding: pair.binding });
      try {
        const out = await workload(driver);
        const prog = pair.firmware.pulseLog.filter((e) => e.verb === 'PROG');
        assert.equal(prog.length, 64, `PROG executed ${prog.length} times for 64 rows`);
        assert.equal(new Set(prog.map((e) => e.line)).size, 64, 'a PROG line ran twice');
        assert.ok(prog.every((e) => e.code === 0));
        return { ...out, stats: driver.stats, counters: pair.faults };
      } finally {
        await driver.close();
        await pair.close();
        await chip.close();
      }
    }

    it('programs 64×64 and runs 1,000 MVMs with the fault-free results, cutting the budget', async () => {
      const clean = await run('/dev/ttyBUDGETCLEAN');
      assert.equal(clean.stats.lineBudget, MAX_LINE_BYTES);
      assert.equal(clean.stats.budgetCuts, 0);
      const f = (seed: number): FaultOptions => ({
        seed,
        corruptRate: 1e-4,
        dropLineRate: 0.01,
        duplicateLineRate: 0.01,
      });
      const t0 = performance.now();
      const got = await run('/dev/ttyBUDGETNOISY', { toBoard: f(31), toHost: f(32) });
      const s = got.stats;
      console.log(
        `      faults: to board ${JSON.stringify(got.counters.toBoard?.counters)}, to host ${JSON.stringify(got.counters.toHost?.counters)}\n` +
          `      host: ${JSON.stringify({ ...s, boardErrors: s.boardErrors.length })}, ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
      assert.deepEqual(got.program, clean.program);
      assert.deepEqual(got.mvm.values, clean.mvm.values);
      assert.ok(s.budgetCuts > 0, 'the budget was cut');
      assert.ok(s.retries > 0);
    });
  });
});
