import assert from 'node:assert/strict';
import type { Duplex } from 'node:stream';
import { SerialPortMock } from 'serialport';
import { firstValueFrom, lastValueFrom, take, toArray, type Observable } from 'rxjs';
import type { ChipDriver, Region } from '../../../drivers/driver.ts';
import { isBenchError } from '../../../drivers/driver.ts';
import { EmulatorDriver, emulatedChipInfo } from '../../../drivers/emulator/emulator-driver.ts';
import { loadProfile } from '../../../drivers/emulator/profile.ts';
import { Rng } from '../../../drivers/emulator/rng.ts';
import { encodeOk } from '../../../drivers/serial/wire/codec.ts';
import { duplexPair } from '../../../drivers/serial/transport/duplex-pair.ts';
import { serveFirmware, type Firmware } from '../../../drivers/serial/board/firmware.ts';
import {
  SerialDriver,
  type SerialDriverOptions,
} from '../../../drivers/serial/host/serial-driver.ts';
import { startPty } from '../../../drivers/serial/transport/transports.ts';
import { ManualTimers, bridge, scriptedBoard, settle } from './board-bridge.ts';
import { needsSocat } from '../../needs-socat.ts';

// serialport's typings of binding-mock resolve under NodeNext; binding-mock's own do not.
const MockBinding = SerialPortMock.binding;

const rowsOf = (n: number) => Array.from({ length: n }, (_, i) => i);

function targets(n: number, seed: number): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => 2 + 36 * r.uniform());
}

/** Pass board → host lines through `keep`; host → board untouched. Returns the firmware's end. */
function tapReplies(board: Duplex, keep: (line: string) => boolean): Duplex {
  const [fwEnd, mid] = duplexPair();
  board.on('data', (d: Buffer) => mid.write(d));
  let buf = '';
  mid.on('data', (d: Buffer) => {
    buf += d.toString('latin1');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl + 1);
      buf = buf.slice(nl + 1);
      if (keep(line)) board.write(line);
    }
  });
  board.on('close', () => mid.destroy());
  return fwEnd;
}

interface Bench {
  chip: EmulatorDriver;
  fw: Firmware;
  path: string;
  b: ReturnType<typeof bridge>;
  open(o?: Partial<SerialDriverOptions>): Promise<SerialDriver>;
}

let counter = 0;
const cleanups: (() => Promise<void>)[] = [];

async function bench(keep?: (line: string) => boolean): Promise<Bench> {
  const chip = await EmulatorDriver.create({ seed: 7, clock: 'virtual' });
  const fw = serveFirmware(undefined, chip);
  const path = `/dev/ttyBENCH${counter++}`;
  const b = bridge(path, (board) => fw.attach(keep ? tapReplies(board, keep) : board));
  const drivers: ChipDriver[] = [];
  cleanups.push(async () => {
    for (const d of drivers) await d.close();
    await fw.close();
    await chip.close();
  });
  return {
    chip,
    fw,
    path,
    b,
    async open(o = {}) {
      const d = await SerialDriver.open({ path, binding: b.binding, ...o });
      drivers.push(d);
      return d;
    },
  };
}

async function rejectsWith(p: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isBenchError(e), `not a BenchError: ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, message);
    return true;
  });
}

describe('SerialDriver', () => {
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
    MockBinding.reset();
  });

  describe('wire bytes', () => {
    it('handshake, a PULSE and close, exchange by exchange (§7, §8)', async () => {
      const info = emulatedChipInfo(loadProfile('vlsi19-hfo2-256'), 7);
      const board = scriptedBoard([
        ['\n', undefined],
        ['32769 *IDN?*1FB7\n', encodeOk(32769, 'RRAM-BENCH,vlsi19-hfo2-256,EMU-00000007,0.1.0')],
        ['32770 PROT?*3171\n', encodeOk(32770, '1')],
        ['32771 LIM?*7223\n', encodeOk(32771, JSON.stringify(info))],
        ['32772 SESS ABCD1234 1*32DB\n', encodeOk(32772, '0BADF00D 1')],
        ['32773 SYST:ERR?*3D25\n', encodeOk(32773, '500,"left over"')],
        ['32774 SYST:ERR?*1498\n', encodeOk(32774, '0,"No error"')],
        ['1 CONF?*0698\n', encodeOk(1, 'bits=8 vref=0.2 vth=0.5 window=1.6e-7 mode=COUNT stop=1')],
        ['2 PULSE 3 7 SET 1.8 0.000001 2.4 1*0012\n', encodeOk(2, '1')],
        ['32777 IDLE*ED3A\n', encodeOk(32777)],
      ]);
      const b = bridge('/dev/ttyWIRE', (d) => board.connect(d));
      const d = await SerialDriver.open({
        path: '/dev/ttyWIRE',
        binding: b.binding,
        sessionId: 'ABCD1234',
      });
      assert.deepEqual(d.stats.boardErrors, ['500,"left over"']);
      assert.deepEqual(d.readoutConfig, {
        precisionBits: 8,
        readV: 0.2,
        vthV: 0.5,
        integrationWindowS: 1.6e-7,
        mode: 'COUNT',
        ttfsStopFraction: 1,
      });
      const p = await firstValueFrom(
        d.pulse({ row: 3, col: 7, polarity: 'SET', amplitudeV: 1.8, widthS: 1e-6, gateV: 2.4 }),
      );
      assert.deepEqual(p, { row: 3, col: 7, applied: 1 });
      await d.close();
      board.done();
    });
  });

  describe('timeouts and retries', () => {
    it('resends a PULSE whose reply was lost with the same seq and bytes; the board applies it once', async () => {
      let armed = false;
      const t = new ManualTimers();
      const k = await bench((line) => {
        if (!armed || !/^\d+ OK 1\*/.test(line)) return true;
        armed = false;
        return false;
      });
      const d = await k.open({ timers: t, timeoutMs: 1000 });
      const forming = firstValueFrom(d.form({ region: { row: 0, col: 0, rows: 1, cols: 1 } }));
      await t.advance(0);
      await forming;
      armed = true;
      const before = k.b.written().length;
      const result = firstValueFrom(
        d.pulse({ row: 0, col: 0, polarity: 'SET', amplitudeV: 1.8, widthS: 1e-6, gateV: 2.4 }),
      );
      await settle();
      const sent = k.b.written().slice(before);
      assert.match(sent, /^\d+ PULSE 0 0 SET 1\.8 0\.000001 2\.4 1\*[0-9A-F]{4}\n$/);
      // Budget: the 1 s margin plus the wire time of request and reply at 921,600 baud.
      const budget = t.pending()[0]!;
      assert.ok(budget > 1000 && budget < 1002, `budget ${budget} ms`);
      await t.advance(budget - 1);
      assert.equal(k.b.written().slice(before), sent, 'no resend before the budget');
      await t.advance(1);
      // With it goes a LINK? probe (answered at once: is the board there at all?).
      const again = k.b
        .written()
        .slice(before)
        .replace(/^\d+ LINK\?\*[0-9A-F]{4}\n/m, '');
      assert.equal(again, sent + sent, 'the identical line again');
      assert.deepEqual(await result, { row: 0, col: 0, applied: 1 });
      assert.equal(k.fw.pulseLog.filter((e) => e.verb === 'PULSE').length, 1);
      assert.equal(k.fw.counters.cached, 1);
      assert.equal(d.stats.retries, 1);
      assert.equal(d.stats.timeouts, 1);
    });

    it('a reply for a later seq resends the older ones at once, without waiting for a timeout', async () => {
      let dropped = 0;
      const k = await bench((line) => !(/^\d+ OK \S+ \S+ \S+\*/.test(line) && dropped++ === 0));
      const d = await k.open({ timeoutMs: 60_000 });
      const region: Region = { row: 0, col: 0, rows: 4, cols: 8 };
      await firstValueFrom(d.form({ region }));
      const t0 = Date.now();
      const events = await lastValueFrom(
        d.program({ region, targetsMicroS: targets(32, 1) }).pipe(toArray()),
      );
      assert.ok(Date.now() - t0 < 5000);
      assert.equal(events.at(-1)!.kind, 'result');
      assert.equal(d.stats.timeouts, 0);
      assert.equal(d.stats.retries, 1);
      assert.equal(k.fw.pulseLog.filter((e) => e.verb === 'PROG').length, 4);
    });

    it('a board that never answers fails with TIMEOUT naming the port, after 1 + retries tries', async () => {
      const t = new ManualTimers();
      const b = bridge('/dev/ttySILENT', () => {});
      let err: unknown;
      const opening = SerialDriver.open({
        path: '/dev/ttySILENT',
        binding: b.binding,
        timers: t,
        retries: 3,
      }).catch((e: unknown) => (err = e));
      await t.advance(10_000);
      await opening;
      assert.ok(isBenchError(err, 'TIMEOUT'));
      assert.match(
        err.message,
        /no answer from \/dev\/ttySILENT: is it an rram-bench board, and powered\?/,
      );
      assert.equal(b.written().match(/\*IDN\?/g)?.length, 4);
      assert.ok(t.now >= 4000);
    });
  });

  describe('bad input', () => {
    it('no such port: IO naming the path', async () => {
      await rejectsWith(
        SerialDriver.open({ path: '/dev/ttyNOPE', binding: MockBinding }),
        'IO',
        /no such port \/dev\/ttyNOPE/,
      );
    });

    it('no such port on the operating system: IO naming the path', async () => {
      await rejectsWith(
        SerialDriver.open({ path: '/dev/rram-bench-missing' }),
        'IO',
        /no such port \/dev\/rram-bench-missing/,
      );
    });

    it('a port held by another process: IO saying it is in use', async () => {
      const k = await bench();
      await k.open();
      await rejectsWith(k.open(), 'IO', new RegExp(`port ${k.path} is in use`));
    });

    it('a pseudo-terminal held by another open: IO saying it is in use (serialport lock)', async function () {
      needsSocat(this);
      const chip = await EmulatorDriver.create({ seed: 7, clock: 'virtual' });
      const pty = await startPty(chip);
      const first = await SerialDriver.open({ path: pty.path });
      try {
        await rejectsWith(
          SerialDriver.open({ path: pty.path }),
          'IO',
          new RegExp(`port ${pty.path} is in use`),
        );
      } finally {
        await first.close();
        await pty.close();
        await chip.close();
      }
    });

    it('a wrong protocol version: PROTOCOL naming both versions', async () => {
      const board = scriptedBoard([
        ['\n', undefined],
        ['32769 *IDN?*1FB7\n', encodeOk(32769, 'RRAM-BENCH,future-chip,X1,9.0.0')],
        ['32770 PROT?*3171\n', encodeOk(32770, '2')],
      ]);
      const b = bridge('/dev/ttyV2', (d) => board.connect(d));
      await rejectsWith(
        SerialDriver.open({ path: '/dev/ttyV2', binding: b.binding }),
        'PROTOCOL',
        /board on \/dev\/ttyV2 speaks protocol 2, this rram-bench speaks 1/,
      );
      board.done();
    });

    it('something that is not an rram-bench board: PROTOCOL', async () => {
      const board = scriptedBoard([
        ['\n', undefined],
        ['32769 *IDN?*1FB7\n', encodeOk(32769, 'ACME,DMM-9000,1,2')],
      ]);
      const b = bridge('/dev/ttyACME', (d) => board.connect(d));
      await rejectsWith(
        SerialDriver.open({ path: '/dev/ttyACME', binding: b.binding }),
        'PROTOCOL',
        /\/dev\/ttyACME is not an rram-bench board/,
      );
    });

    it('a stream of garbage: PROTOCOL naming the port, lines counted', async () => {
      const t = new ManualTimers();
      const b = bridge('/dev/ttyNOISE', (board) =>
        board.on('data', () =>
          board.write('\x8f\x13garbage\xff at the wrong baud rate\r\n~~~*1234\n'),
        ),
      );
      let err: unknown;
      const opening = SerialDriver.open({
        path: '/dev/ttyNOISE',
        binding: b.binding,
        timers: t,
        retries: 2,
      }).catch((e: unknown) => (err = e));
      await t.advance(10_000);
      await opening;
      assert.ok(isBenchError(err, 'PROTOCOL'), String(err));
      assert.match(err.message, /\/dev\/ttyNOISE sends garbage: \d+ unreadable lines/);
    });

    it('refuses out-of-limit commands with LIMIT before anything reaches the wire', async () => {
      const k = await bench();
      const d = await k.open();
      const before = k.b.written().length;
      const refused: Observable<unknown>[] = [
        d.pulse({ row: 3, col: 7, polarity: 'SET', amplitudeV: 4.5, widthS: 1e-6, gateV: 2.4 }),
        d.pulse({ row: 3, col: 7, polarity: 'RESET', amplitudeV: 1, widthS: 1, gateV: 2.4 }),
        d.form({ region: { row: 0, col: 0, rows: 1, cols: 1 }, stopV: 9 }),
        d.program({
          region: { row: 0, col: 0, rows: 1, cols: 2 },
          targetsMicroS: Float32Array.of(10, 400),
        }),
        d.configure({ readV: 2 }),
        d.mvm({ rows: [0], cols: [0], inputs: new Uint8Array(5000) }),
      ];
      for (const op of refused) await rejectsWith(firstValueFrom(op), 'LIMIT', /outside|exceeds/);
      await rejectsWith(
        firstValueFrom(d.read({ region: { row: 0, col: 0, rows: 1, cols: 1 }, average: 1000 })),
        // Averaging is a limit the chip reports (LIM? maxReadAverage): docs/protocol.md §3.
        'LIMIT',
        /average 1000 reads is outside the chip's limit \[1, 64\] reads/,
      );
      await rejectsWith(
        firstValueFrom(d.read({ region: { row: 250, col: 0, rows: 10, cols: 1 } })),
        'INVALID_ARGUMENT',
        /region\.rows/,
      );
      assert.equal(k.b.written().slice(before), '', 'nothing was written');
      assert.equal(k.fw.pulseLog.length, 0);
    });
  });

  describe('cancellation', () => {
    it('unsubscribing from program stops issuing rows and sends ABORT', async () => {
      const k = await bench();
      const d = await k.open();
      const region: Region = { row: 0, col: 0, rows: 64, cols: 64 };
      await firstValueFrom(d.form({ region }));
      const before = k.b.written().length;
      await lastValueFrom(
        d.program({ region, targetsMicroS: targets(64 * 64, 2) }).pipe(take(2), toArray()),
      );
      await settle();
      const sent = k.b.written().slice(before);
      const progs = sent.match(/ PROG /g)?.length ?? 0;
      // Two rows done, at most a full window behind them (plus the one sent as the second's reply came).
      assert.ok(progs >= 2 && progs <= 2 + 8 + 1, `${progs} PROG lines`);
      assert.match(sent, /\d+ ABORT\*[0-9A-F]{4}\n/);
      await k.fw.settled();
      // The link is still in sequence: the next operation works.
      const map = await firstValueFrom(d.read({ region: { row: 0, col: 0, rows: 2, cols: 2 } }));
      assert.equal(map.microS.length, 4);
    });

    it('idle() fails the running operation with ABORTED and sends IDLE', async () => {
      const k = await bench();
      const d = await k.open();
      const region: Region = { row: 0, col: 0, rows: 32, cols: 64 };
      const running = rejectsWith(firstValueFrom(d.form({ region })), 'ABORTED', /idle/);
      await settle(2);
      await firstValueFrom(d.idle());
      await running;
      assert.match(k.b.written(), /\d+ IDLE\*[0-9A-F]{4}\n/);
      const map = await firstValueFrom(d.read({ region: { row: 0, col: 0, rows: 1, cols: 1 } }));
      assert.equal(map.microS.length, 1);
    });

    it('after close every operation fails with CLOSED', async () => {
      const k = await bench();
      const d = await k.open();
      await d.close();
      await rejectsWith(firstValueFrom(d.identify()), 'CLOSED', /closed/);
      await d.close();
    });
  });

  describe('link loss and board reset', () => {
    it('reconnects after an unplug in the middle of programming and finishes with the same result', async () => {
      const region: Region = { row: 0, col: 0, rows: 16, cols: 32 };
      const goal = targets(16 * 32, 5);
      const clean = await bench();
      const dc = await clean.open();
      await firstValueFrom(dc.form({ region }));
      const want = await lastValueFrom(dc.program({ region, targetsMicroS: goal }));

      const t = new ManualTimers();
      const k = await bench();
      const d = await k.open({ timers: t });
      await firstValueFrom(d.form({ region }));
      const events: string[] = [];
      d.linkEvents.subscribe((e) => events.push(e.kind));
      let unplugged = false;
      k.fw.on('tx', (line: string) => {
        if (
          !unplugged &&
          / OK /.test(line) &&
          k.fw.pulseLog.filter((e) => e.verb === 'PROG').length === 5
        ) {
          unplugged = true;
          k.b.unplug();
        }
      });
      const got = lastValueFrom(d.program({ region, targetsMicroS: goal }));
      await t.advance(50);
      assert.ok(unplugged);
      await t.advance(700); // three failed reopen attempts at 0.1, 0.2, 0.4 s
      k.b.replug();
      await t.advance(5000);
      assert.deepEqual(await got, want);
      assert.equal(d.stats.reconnects, 1);
      assert.deepEqual(events, ['disconnected', 'reconnected'], 'link events for the run log');
      const seqs = k.fw.pulseLog.filter((e) => e.verb === 'PROG').map((e) => e.seq);
      assert.equal(seqs.length, 16);
      assert.equal(new Set(seqs).size, 16, 'each row programmed once');
    });

    it('gives up with DISCONNECTED when the board stays away longer than reconnect.maxMs', async () => {
      const t = new ManualTimers();
      const k = await bench();
      const d = await k.open({ timers: t, reconnect: { maxMs: 3000 } });
      k.b.unplug();
      const r = rejectsWith(
        firstValueFrom(d.read({ region: { row: 0, col: 0, rows: 1, cols: 1 } })),
        'DISCONNECTED',
        /could not reconnect within 3 s/,
      );
      await t.advance(10_000);
      await r;
    });

    it('after a board reset, fails the PROG in flight with DEVICE, restores the configuration, and goes on', async () => {
      const k = await bench();
      const d = await k.open();
      const region: Region = { row: 0, col: 0, rows: 8, cols: 64 };
      await firstValueFrom(d.form({ region }));
      await firstValueFrom(d.configure({ precisionBits: 4 }));
      let reset = false;
      k.fw.on('tx', (line: string) => {
        if (
          !reset &&
          / OK /.test(line) &&
          k.fw.pulseLog.filter((e) => e.verb === 'PROG').length === 2
        ) {
          reset = true;
          void k.fw.reset('FEEDC0DE');
        }
      });
      await rejectsWith(
        lastValueFrom(d.program({ region, targetsMicroS: targets(8 * 64, 3) })),
        'DEVICE',
        /reset during PROG: re-read the cells/,
      );
      const config = await firstValueFrom(d.readout());
      assert.equal(config.precisionBits, 4);
      assert.equal(d.stats.boardResets, 1);
      const m = await firstValueFrom(
        d.mvm({ rows: rowsOf(4), cols: rowsOf(2), inputs: new Uint8Array(8).fill(15) }),
      );
      assert.equal(m.precisionBits, 4);
    });
  });
});
