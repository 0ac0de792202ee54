import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { SerialPortStream } from '@serialport/stream';
import { SerialPort } from 'serialport';
import { isBenchError } from '../../../drivers/driver.ts';
import { EmulatorDriver } from '../../../drivers/emulator/emulator-driver.ts';
import { Duplex } from 'node:stream';
import {
  mockPortPair,
  serveStdio,
  startPty,
} from '../../../drivers/serial/transport/transports.ts';
import { HostEnd, expectExchanges, req } from './exchange.ts';
import { needsSocat } from '../../needs-socat.ts';

const BOOT = 'B007AB1E';
const IDN = 'RRAM-BENCH,vlsi19-hfo2-256,EMU-00000001,0.1.0';
const CTL = 40000;
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function chip(): Promise<EmulatorDriver> {
  const c = await EmulatorDriver.create({ seed: 1, clock: 'virtual' });
  cleanups.push(() => c.close());
  return c;
}

/** Open a port stream; resolves once open (rejects with the open error). */
function openStream(
  make: (cb: (e: Error | null) => void) => SerialPortStream,
): Promise<SerialPortStream> {
  return new Promise((resolve, reject) => {
    const port = make((e) => (e ? reject(e) : resolve(port)));
  });
}

/** Wait for `event` on `emitter`, with a timeout. */
function once<T>(emitter: NodeJS.EventEmitter, event: string, ms = 3000): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no ${event} within ${ms} ms`)), ms);
    emitter.once(event, (v: T) => {
      clearTimeout(t);
      resolve(v);
    });
  });
}

/**
 * Resolves with the close event's error once the port notices it was unplugged. On a pty whose
 * far end vanished a read returns end-of-file, which bindings-cpp retries; a write fails (EIO)
 * and that closes the port as disconnected — so keep writing bare newlines until it does.
 */
async function disconnected(port: SerialPortStream): Promise<Error & { disconnected?: boolean }> {
  const closed = once<Error & { disconnected?: boolean }>(port, 'close');
  port.on('error', () => undefined); // the EIO of a write to a hung-up pty: expected here
  const poke = setInterval(() => {
    if (port.isOpen) port.write('\n', () => undefined);
  }, 20);
  try {
    return await closed;
  } finally {
    clearInterval(poke);
  }
}

const closePort = (p: SerialPortStream) =>
  new Promise<void>((resolve) => (p.isOpen ? p.close(() => resolve()) : resolve()));

/** Let the firmware's `! BOOT` go out before a host opens the port (it is lost, as on a bench). */
const booted = () => new Promise((r) => setTimeout(r, 10));

const pulse = req(2, 'PULSE', 0, 0, 'SET', 1.8, 1e-6, 2.4, 1);

describe('transports', () => {
  describe('mockPortPair', () => {
    it('serves the firmware to a host that opens the path with the returned binding', async () => {
      const c = await chip();
      const pair = mockPortPair('/dev/ttyMOCK-a', c, { firmware: { bootId: BOOT } });
      cleanups.push(() => pair.close());
      await booted();
      const port = await openStream(
        (cb) =>
          new SerialPortStream({ binding: pair.binding, path: pair.path, baudRate: 921600 }, cb),
      );
      cleanups.push(() => closePort(port));
      const host = new HostEnd(port);
      await expectExchanges(host, [
        ['*IDN?', `- OK ${IDN}`],
        [req(CTL, 'SESS', 'CAFE0001', 1), `${CTL} OK ${BOOT} 1`],
        [req(1, 'CONF', 'bits=4'), /^1 OK bits=4 /],
      ]);
      const listed = await pair.binding.list();
      assert.ok(listed.some((p) => p.path === pair.path));
      // The port is held: a second open fails, as on a real port.
      await assert.rejects(
        openStream(
          (cb) =>
            new SerialPortStream({ binding: pair.binding, path: pair.path, baudRate: 9600 }, cb),
        ),
        /locked/,
      );
    });

    it('unplug: the host port closes as disconnected, the path is gone, and after replug the state is intact', async () => {
      const c = await chip();
      const pair = mockPortPair('/dev/ttyMOCK-b', c, { firmware: { bootId: BOOT } });
      cleanups.push(() => pair.close());
      await booted();
      const open = () =>
        openStream(
          (cb) =>
            new SerialPortStream({ binding: pair.binding, path: pair.path, baudRate: 921600 }, cb),
        );
      const port = await open();
      const host = new HostEnd(port);
      await expectExchanges(host, [
        [req(CTL, 'SESS', 'CAFE0002', 1), `${CTL} OK ${BOOT} 1`],
        [req(1, 'CONF?'), /^1 OK /],
        [pulse, '2 OK 0'],
      ]);
      const closed = once<Error & { disconnected?: boolean }>(port, 'close');
      pair.unplug();
      const err = await closed;
      assert.equal(err?.disconnected, true);
      await assert.rejects(open(), /No such file or directory/);
      pair.replug();
      const port2 = await open();
      cleanups.push(() => closePort(port2));
      await expectExchanges(new HostEnd(port2), [
        [req(CTL + 1, 'SESS', 'CAFE0002', 3), `${CTL + 1} OK ${BOOT} 3`],
        [pulse, '2 OK 0'],
      ]);
      assert.equal(pair.firmware.pulseLog.length, 1);
    });

    it('unplugs by itself after unplugAfterBytes and comes back after replugAfterMs', async () => {
      const c = await chip();
      const pair = mockPortPair('/dev/ttyMOCK-c', c, {
        faults: { toHost: { unplugAfterBytes: 30, replugAfterMs: 50 } },
      });
      cleanups.push(() => pair.close());
      await booted();
      const port = await openStream(
        (cb) =>
          new SerialPortStream({ binding: pair.binding, path: pair.path, baudRate: 921600 }, cb),
      );
      port.on('data', () => undefined); // a reader: an unplug is noticed by I/O, as on a real port
      const closed = once(port, 'close');
      port.write('*IDN?\n');
      await closed;
      assert.equal(pair.plugged, false);
      await new Promise((r) => setTimeout(r, 80));
      assert.equal(pair.plugged, true);
      const port2 = await openStream(
        (cb) =>
          new SerialPortStream({ binding: pair.binding, path: pair.path, baudRate: 921600 }, cb),
      );
      cleanups.push(() => closePort(port2));
      await expectExchanges(new HostEnd(port2), [['*IDN?', `- OK ${IDN}`]]);
    });

    it('refuses a second board on the same path', async () => {
      const c = await chip();
      const pair = mockPortPair('/dev/ttyMOCK-d', c);
      cleanups.push(() => pair.close());
      await booted();
      assert.throws(
        () => mockPortPair('/dev/ttyMOCK-d', c),
        (e: unknown) => isBenchError(e, 'INVALID_ARGUMENT'),
      );
    });
  });

  describe('serveStdio', () => {
    it('serves the firmware on a pair of byte streams and ends with the input', async () => {
      const c = await chip();
      const input = new PassThrough();
      const output = new PassThrough();
      const server = serveStdio(c, { bootId: BOOT }, input, output);
      cleanups.push(() => server.close());
      const host = new HostEnd(Duplex.from({ readable: output, writable: input }));
      await expectExchanges(host, [
        [null, `! BOOT ${BOOT}`],
        ['*IDN?', `- OK ${IDN}`],
      ]);
      input.end();
      await server.done;
    });
  });

  describe('startPty (needs socat)', () => {
    before(function () {
      needsSocat(this);
    });

    it('serves the firmware on a pty; unplug and replug under the same path keep the board state', async function () {
      this.timeout(20000);
      const c = await chip();
      const server = await startPty(c, { firmware: { bootId: BOOT } });
      cleanups.push(() => server.close());
      assert.ok(existsSync(server.path));
      const open = () =>
        openStream((cb) => new SerialPort({ path: server.path, baudRate: 921600 }, cb));
      const port = await open();
      const host = new HostEnd(port);
      await expectExchanges(host, [
        ['*IDN?', `- OK ${IDN}`],
        [req(CTL, 'SESS', 'CAFE0003', 1), `${CTL} OK ${BOOT} 1`],
        [req(1, 'CONF?'), /^1 OK /],
        [pulse, '2 OK 0'],
      ]);
      const gone = disconnected(port);
      await server.unplug();
      const err = await gone;
      assert.equal(err?.disconnected, true, 'the host sees a disconnect');
      assert.ok(!existsSync(server.path), 'the path is gone while unplugged');
      await server.replug();
      assert.ok(existsSync(server.path), 'the same path is back');
      const port2 = await open();
      cleanups.push(() => closePort(port2));
      await expectExchanges(new HostEnd(port2), [
        [req(CTL + 1, 'SESS', 'CAFE0003', 3), `${CTL + 1} OK ${BOOT} 3`],
        [pulse, '2 OK 0'],
      ]);
      assert.equal(server.firmware.pulseLog.length, 1);
    });

    it('unplugs after unplugAfterBytes and reappears after replugAfterMs', async function () {
      this.timeout(20000);
      const c = await chip();
      const server = await startPty(c, {
        faults: { toHost: { unplugAfterBytes: 100, replugAfterMs: 200 } },
      });
      cleanups.push(() => server.close());
      const port = await openStream(
        (cb) => new SerialPort({ path: server.path, baudRate: 921600 }, cb),
      );
      port.on('data', () => undefined);
      const gone = disconnected(port);
      port.write('*IDN?\n*IDN?\n');
      await gone;
      const deadline = Date.now() + 5000;
      while (!server.plugged && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.ok(server.plugged && existsSync(server.path));
      const port2 = await openStream(
        (cb) => new SerialPort({ path: server.path, baudRate: 921600 }, cb),
      );
      cleanups.push(() => closePort(port2));
      await expectExchanges(new HostEnd(port2), [['*IDN?', `- OK ${IDN}`]]);
    });

    it('is reachable from another process through the OS serial layer', async function () {
      this.timeout(20000);
      const c = await chip();
      const server = await startPty(c);
      cleanups.push(() => server.close());
      const script = `
        import { SerialPort } from 'serialport';
        const p = new SerialPort({ path: process.argv[1], baudRate: 921600 });
        let got = '';
        p.on('data', (d) => {
          got += d.toString('latin1');
          const line = got.split('\\n').find((l) => l.startsWith('- OK'));
          if (line) { process.stdout.write(line.trim()); p.close(() => process.exit(0)); }
        });
        p.on('open', () => p.write('*IDN?\\n'));
        setTimeout(() => process.exit(3), 5000);
      `;
      const out = await new Promise<string>((resolve, reject) =>
        execFile(
          process.execPath,
          ['--input-type=module', '-e', script, server.path],
          { cwd: process.cwd() },
          (e, stdout) => (e ? reject(new Error(e.message)) : resolve(stdout)),
        ),
      );
      assert.match(out, new RegExp(`^- OK ${IDN.replace(/\./g, '\\.')}\\*[0-9A-F]{4}$`));
    });

    it('closes cleanly: socat gone, path removed', async function () {
      this.timeout(10000);
      const c = await chip();
      const server = await startPty(c);
      const path = server.path;
      await server.close();
      assert.ok(!existsSync(path));
    });
  });
});
