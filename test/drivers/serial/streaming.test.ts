/**
 * Streaming: large MVM batches, split into many full-length requests with the window full,
 * in both directions at once for seconds. Over a pseudo-terminal this once hung for good after
 * a few hundred requests: bindings-cpp's poller let a read's wait for input cancel a write's
 * wait for room (and the reverse), socat blocked writing towards the end that no longer read,
 * and both processes waited on each other — while the host, which armed a request's timer
 * only once the port reported its bytes written, never even timed out. These tests stream over
 * a real pty and over the in-process mock port and check every result bit for bit against the
 * EmulatorDriver; and they check that a request whose bytes stay stuck in the port times out
 * and is retried, or fails with TIMEOUT — never hangs.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { SerialPortMock } from 'serialport';
import { firstValueFrom } from 'rxjs';
import type { ChipDriver, MvmResult } from '../../../drivers/driver.ts';
import { isBenchError } from '../../../drivers/driver.ts';
import { EmulatorDriver } from '../../../drivers/emulator/emulator-driver.ts';
import { Rng } from '../../../drivers/emulator/rng.ts';
import { fullDuplexPolling, type Binding } from '../../../drivers/serial/transport/binding.ts';
import { MAX_LINE_BYTES } from '../../../drivers/serial/wire/codec.ts';
import { duplexPair } from '../../../drivers/serial/transport/duplex-pair.ts';
import {
  serveFirmware,
  type Firmware,
  type FirmwareCounters,
} from '../../../drivers/serial/board/firmware.ts';
import {
  chunks,
  mvmChunkVectors,
  mvmVectors,
  stagePieceBytes,
} from '../../../drivers/serial/host/request-sizing.ts';
import { SerialDriver } from '../../../drivers/serial/host/serial-driver.ts';
import { mockPortPair, startPty } from '../../../drivers/serial/transport/transports.ts';
import { repoRoot } from '../../cli/run-cli.ts';
import { ManualTimers, settle } from './board-bridge.ts';
import { needsSocat } from '../../needs-socat.ts';

// serialport's typings of binding-mock resolve under NodeNext; binding-mock's own do not.
const MockBinding = SerialPortMock.binding;
type MockPort = Awaited<ReturnType<typeof MockBinding.open>>;

const SEED = 3;
const CALLS = 20;
const BATCH = 1024;
const ALL = Array.from({ length: 256 }, (_, i) => i);

const emulated = () => EmulatorDriver.create({ seed: SEED, clock: 'virtual' });

/** Random 8-bit inputs of call `i`: BATCH vectors on all 256 rows. */
function inputs(i: number): Uint8Array {
  const r = new Rng(100 + i);
  return Uint8Array.from({ length: BATCH * ALL.length }, () => r.nextU32() & 255);
}

/** The chunks the chip runs per call at 8 bits on 256 rows and columns (`0-255 0-255`). */
function requestSizes(maxMvmBatch: number): [number, number][] {
  return chunks(
    BATCH,
    mvmChunkVectors(MAX_LINE_BYTES, 256, 256, 8, 2 * '0-255'.length + 2, maxMvmBatch),
  );
}

/** Requests per chunk on a clean link: one MVM if it fits a line, else STAGEs, MVMS, TAKEs. */
function requestsPerChunk(size: number, maxMvmBatch: number): number {
  const line = mvmVectors(MAX_LINE_BYTES, 256, 256, 8, 2 * '0-255'.length + 2, maxMvmBatch);
  if (size <= line) return 1;
  return 1 + 2 * Math.ceil((size * 256) / stagePieceBytes(MAX_LINE_BYTES));
}

/**
 * The golden run: what the board computes — the EmulatorDriver running the same requests in
 * the same order — assembled as SerialDriver assembles its replies.
 */
async function goldenRun(): Promise<{ results: MvmResult[]; requestsPerCall: number }> {
  const e = await emulated();
  try {
    const parts = requestSizes(e.info.limits.maxMvmBatch);
    const results: MvmResult[] = [];
    for (let i = 0; i < CALLS; i++) {
      const x = inputs(i);
      const values = new Uint8Array(BATCH * ALL.length);
      let energyJ = 0;
      let latencyS = 0;
      let last: MvmResult | undefined;
      for (const [start, size] of parts) {
        last = await firstValueFrom(
          e.mvm({
            rows: ALL,
            cols: ALL,
            inputs: x.subarray(start * ALL.length, (start + size) * ALL.length),
          }),
        );
        values.set(last.values, start * ALL.length);
        energyJ += last.energyJ;
        latencyS += last.latencyS;
      }
      results.push({
        mode: last!.mode,
        precisionBits: last!.precisionBits,
        batch: BATCH,
        values,
        energyJ,
        latencyS,
      });
    }
    const requestsPerCall = parts.reduce(
      (sum, [, size]) => sum + requestsPerChunk(size, e.info.limits.maxMvmBatch),
      0,
    );
    return { results, requestsPerCall };
  } finally {
    await e.close();
  }
}

let golden: Awaited<ReturnType<typeof goldenRun>> | undefined;

/**
 * Stream CALLS large MVMs through `driver`; each result must equal the golden one exactly.
 * `fw`: the board's firmware when it runs in this process, to count what it executed.
 */
async function stream(driver: SerialDriver, fw?: Firmware): Promise<void> {
  golden ??= await goldenRun();
  const executed = fw?.counters.executed ?? 0;
  for (let i = 0; i < CALLS; i++) {
    const r = await firstValueFrom(driver.mvm({ rows: ALL, cols: ALL, inputs: inputs(i) }));
    assert.equal(r.values.length, BATCH * ALL.length);
    assert.deepEqual(r, golden.results[i], `call ${i} differs from EmulatorDriver's`);
  }
  assert.ok(golden.requestsPerCall >= 20, `${golden.requestsPerCall} requests per call`);
  if (fw) assert.equal(fw.counters.executed - executed, CALLS * golden.requestsPerCall);
  // A clean link: nothing timed out, nothing was sent twice.
  assert.equal(driver.stats.timeouts, 0, JSON.stringify(driver.stats));
  assert.equal(driver.stats.retries, 0, JSON.stringify(driver.stats));
}

const cleanups: (() => Promise<unknown> | void)[] = [];

/**
 * `rram-bench emulate --pty --time virtual --seed <seed>` in a child process: the board as a
 * user runs it. `stop()` sends Ctrl-C and resolves with the counters it prints on the way out.
 */
async function emulateBoard(seed: number) {
  const child = spawn(
    process.execPath,
    ['bin/rram-bench.js', 'emulate', '--pty', '--time', 'virtual', '--seed', String(seed)],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const path = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = / on (\S+)\n/.exec(out);
      if (m) resolve(m[1]!);
    });
    void exited.then(() => reject(new Error(`emulate exited early: ${err}`)));
  });
  let stopping: Promise<FirmwareCounters> | undefined;
  return {
    path,
    stop(): Promise<FirmwareCounters> {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
        await exited;
        const m = /board stopped: (\{.*\})/.exec(err);
        assert.ok(m, `no counters from emulate: ${err}`);
        return JSON.parse(m[1]!) as FirmwareCounters;
      })();
      return stopping;
    },
  };
}

describe('SerialDriver streaming large MVM batches', function () {
  this.timeout(120_000);

  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it(`${CALLS} calls of ${BATCH} vectors over a pseudo-terminal (socat) complete, equal to EmulatorDriver's`, async function () {
    needsSocat(this);
    const chip = await emulated();
    cleanups.push(() => chip.close());
    const pty = await startPty(chip);
    cleanups.push(() => pty.close());
    const driver = await SerialDriver.open({ path: pty.path });
    cleanups.push(() => driver.close());
    await stream(driver, pty.firmware);
  });

  it(`${CALLS} calls of ${BATCH} vectors to \`rram-bench emulate --pty\` in another process complete, equal to EmulatorDriver's`, async function () {
    needsSocat(this);
    const board = await emulateBoard(SEED);
    cleanups.push(() => board.stop());
    const driver = await SerialDriver.open({ path: board.path });
    cleanups.push(() => driver.close());
    await stream(driver);
    await driver.close();
    const counters = await board.stop();
    assert.ok(golden);
    assert.ok(counters.executed >= CALLS * golden.requestsPerCall, JSON.stringify(counters));
    assert.equal(counters.cached, 0, 'no request was sent twice');
    assert.equal(counters.duplicates, 0, 'no request was sent twice');
  });

  it(`${CALLS} calls of ${BATCH} vectors over the mock port complete, equal to EmulatorDriver's`, async () => {
    const chip = await emulated();
    cleanups.push(() => chip.close());
    const pair = mockPortPair('/dev/ttySTREAM', chip);
    cleanups.push(async () => {
      await pair.close();
      MockBinding.reset();
    });
    const driver = await SerialDriver.open({ path: pair.path, binding: pair.binding });
    cleanups.push(() => driver.close());
    await stream(driver, pair.firmware);
  });
});

/**
 * A binding on MockBinding whose port carries the firmware of `chip`, where a write whose bytes
 * match `stick` stays stuck in the port — not taken, its callback pending, every later write
 * queued behind it — until `release()` (as a port whose backpressure never clears).
 */
function stickyBoard(path: string, fw: Firmware, stick: (bytes: string) => boolean) {
  MockBinding.createPort(path, { echo: false, record: false });
  let stuck: (() => void) | undefined;
  let stuckCount = 0;
  let unstuck = false;
  let written = '';
  const binding = {
    ...MockBinding,
    list: () => MockBinding.list(),
    async open(options: Parameters<typeof MockBinding.open>[0]) {
      const port: MockPort = await MockBinding.open(options);
      const [host, board] = duplexPair();
      const write = port.write.bind(port);
      port.write = async (b: Buffer) => {
        const text = b.toString('latin1');
        if (!unstuck && stick(text)) {
          stuckCount++;
          await new Promise<void>((resolve) => (stuck = resolve));
        }
        await write(b);
        written += text;
        host.write(b);
      };
      host.on('data', (d: Buffer) => {
        if (port.isOpen) port.emitData(d);
      });
      const close = port.close.bind(port);
      port.close = async () => {
        stuck?.();
        await close();
        host.destroy();
      };
      fw.attach(board);
      return port;
    },
  } as unknown as Binding;
  return {
    binding,
    /** Writes that got stuck so far. */
    stuckCount: () => stuckCount,
    /** Bytes that reached the board. */
    written: () => written,
    /** Let the stuck write through. */
    release() {
      const s = stuck;
      stuck = undefined;
      s?.();
    },
    /** Let everything through from now on. */
    unstick() {
      unstuck = true;
      this.release();
    },
  };
}

describe('SerialDriver with bytes stuck in the port', () => {
  const PULSE = {
    row: 0,
    col: 0,
    polarity: 'SET',
    amplitudeV: 1.8,
    widthS: 1e-6,
    gateV: 2.4,
  } as const;
  let chip: EmulatorDriver;
  let fw: Firmware;
  let drivers: ChipDriver[];
  let ports: ReturnType<typeof stickyBoard>[];

  beforeEach(async () => {
    chip = await emulated();
    fw = serveFirmware(undefined, chip);
    drivers = [];
    ports = [];
  });
  afterEach(async () => {
    // Closing drains the port first: let the stuck bytes go.
    for (const p of ports) p.unstick();
    for (const d of drivers) await d.close();
    await fw.close();
    await chip.close();
    MockBinding.reset();
  });

  async function open(path: string, port: ReturnType<typeof stickyBoard>, t: ManualTimers) {
    ports.push(port);
    const opening = SerialDriver.open({
      path,
      binding: port.binding,
      timers: t,
      timeoutMs: 1000,
      deadlineMs: 15_000,
    });
    await t.advance(0);
    const d = await opening;
    drivers.push(d);
    return d;
  }

  it('the timeout runs from the hand-off: the request times out and is retried, and is applied once', async () => {
    const t = new ManualTimers();
    let sticky = true;
    const port = stickyBoard('/dev/ttySTUCK0', fw, (b) => sticky && / PULSE /.test(b));
    const d = await open('/dev/ttySTUCK0', port, t);
    const forming = firstValueFrom(d.form({ region: { row: 0, col: 0, rows: 1, cols: 1 } }));
    await t.advance(0);
    await forming;
    const result = firstValueFrom(d.pulse(PULSE));
    await settle();
    assert.equal(port.stuckCount(), 1, 'the PULSE line is stuck in the port');
    sticky = false;
    // The timer runs although the port has not taken the bytes (§5.2).
    const budget = t.pending()[0];
    assert.ok(budget !== undefined && budget > 1000 && budget < 1002, `budget ${budget} ms`);
    await t.advance(budget);
    assert.equal(d.stats.timeouts, 1);
    assert.equal(d.stats.retries, 1);
    // The port unsticks: the original line and then its retry (queued behind it) go out.
    port.release();
    assert.deepEqual(await result, { row: 0, col: 0, applied: 1 });
    await settle();
    assert.equal(port.written().match(/ PULSE /g)?.length, 2, 'the identical line twice');
    assert.equal(fw.pulseLog.filter((e) => e.verb === 'PULSE').length, 1, 'applied once');
  });

  it('bytes stuck for good: TIMEOUT naming the port after 1 + retries tries, and close still closes', async () => {
    const t = new ManualTimers();
    const port = stickyBoard('/dev/ttySTUCK1', fw, (b) => / PULSE /.test(b));
    const d = await open('/dev/ttySTUCK1', port, t);
    let err: unknown;
    const result = firstValueFrom(d.pulse(PULSE)).catch((e: unknown) => (err = e));
    await t.advance(20_000);
    await result;
    // Nothing gets past the stuck bytes, the LINK? probes neither: a silent board, given up
    // after 1 + retries tries (not at the deadline, which is for a board that answers).
    assert.ok(isBenchError(err, 'TIMEOUT'), String(err));
    assert.match(err.message, /no answer from \/dev\/ttySTUCK1 to PULSE after 6 tries/);
    assert.equal(d.stats.timeouts, 6);
    assert.equal(d.stats.retries, 5);
    assert.equal(fw.pulseLog.length, 0, 'nothing reached the board');
    // Closing a port whose bytes are stuck gives up on them instead of waiting for ever.
    const closing = d.close();
    await t.advance(20_000);
    await closing;
    assert.equal(port.stuckCount(), 1);
  });
});

describe('fullDuplexPolling', () => {
  /** bindings-cpp's Poller in miniature: `once` asks the native poller, which watches only what the last call asked for. */
  class FakePoller extends EventEmitter {
    watched = 0;
    poller = { poll: (flags: number) => (this.watched = flags) };
    override once(event: string, cb: (...a: unknown[]) => void): this {
      this.poll({ readable: 1, writable: 2, disconnect: 4 }[event] ?? 0);
      return super.once(event, cb);
    }
    poll(flags = 0): void {
      this.poller.poll(flags);
    }
  }

  it('a read waiting while a write waits watches both, and the reverse', () => {
    const unrepaired = new FakePoller();
    unrepaired.once('writable', () => {});
    unrepaired.once('readable', () => {});
    assert.equal(unrepaired.watched, 1, 'the bug: the write no longer waits');

    const port = { poller: new FakePoller() };
    fullDuplexPolling(port);
    port.poller.once('writable', () => {});
    port.poller.once('readable', () => {});
    assert.equal(port.poller.watched, 3);
    port.poller.emit('writable');
    port.poller.once('readable', () => {});
    assert.equal(port.poller.watched, 1, 'what nobody waits for any more is not watched');
    fullDuplexPolling(port); // idempotent
    port.poller.once('writable', () => {});
    assert.equal(port.poller.watched, 3);
  });

  it('leaves ports without a poller alone', () => {
    const port = { write: () => {} };
    fullDuplexPolling(port);
    fullDuplexPolling(undefined);
    assert.deepEqual(Object.keys(port), ['write']);
  });
});
