/**
 * One open serial port, seen as lines: bytes go through the LineGuard (the readline parser
 * buffers without bound) into @serialport/parser-readline; each line reaches `onLine` with a
 * trailing `\r` removed. Loss of the port (unplug, read or write error) is reported once to
 * `onLost`; closing it on purpose is not a loss.
 */
import { bindingOf, type Binding, type PortInfo } from './binding.ts';
import { SerialPortStream } from '@serialport/stream';
import { guardedLines } from '../wire/line-guard.ts';
import { portOpenError } from './port-error.ts';
import { exclusive } from './port-lock.ts';
import { realTimers, type TimerHandle, type Timers } from './timers.ts';

/** What a link needs from a port. */
export interface Connection {
  /** Path the port was opened at. */
  readonly path: string;
  /** Queue `data` for writing; resolves when the binding took it, rejects when the port failed. */
  write(data: string): Promise<void>;
  /** Bytes queued by `write` that the binding has not taken yet. */
  readonly queuedBytes: number;
  /**
   * Close the port; never reports a loss. Queued writes (the final IDLE) are given until
   * `maxWaitMs` to reach the binding — a port whose writes are stuck must still close.
   */
  close(maxWaitMs?: number): Promise<void>;
  /** Lines cut by the guard for exceeding the maximum length. */
  readonly longLines: number;
}

/** How to open a port. */
export interface ConnectionOptions {
  /** Port path, e.g. /dev/ttyUSB0. */
  path: string;
  /** Baud rate (bit/s). */
  baudRate: number;
  /** Serialport binding. Default: the operating system's (bindings-cpp). */
  binding?: Binding;
  /** Receives each line without its terminator. */
  onLine: (line: string) => void;
  /** Called once when the port goes away without `close()`. */
  onLost: (reason: Error) => void;
  /** Time source of `close(maxWaitMs)`. Default: the global timers. */
  timers?: Timers;
}

/**
 * Open a port at `path` and flush what it holds (§7.1: stale bytes from before we came would
 * otherwise look like replies). Throws IO BenchErrors; a port that opened but failed to flush is
 * closed again.
 */
export async function openPort(
  path: string,
  baudRate: number,
  binding?: Binding,
): Promise<SerialPortStream> {
  const port = new SerialPortStream({
    binding: bindingOf(binding),
    path,
    baudRate,
    autoOpen: false,
  });
  try {
    await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
    await new Promise<void>((resolve, reject) => port.flush((e) => (e ? reject(e) : resolve())));
  } catch (e) {
    if (port.isOpen) port.close();
    throw portOpenError(path, e);
  }
  return port;
}

/** Open a port, flush what it holds, and start delivering lines. Throws IO BenchErrors. */
export async function openConnection(o: ConnectionOptions): Promise<Connection> {
  const port = await openPort(o.path, o.baudRate, o.binding);
  // The OS binding's flock is advisory; make the tty exclusive where the OS can (TIOCEXCL).
  const held = o.binding === undefined && exclusive(o.path);
  let closing = false;
  let lost = false;
  let queuedBytes = 0;
  const loseOnce = (reason: Error) => {
    if (closing || lost) return;
    lost = true;
    o.onLost(reason);
  };
  const { guard, parser } = guardedLines(port);
  parser.on('data', (line: string) => {
    if (!closing) o.onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
  });
  port.on('close', (e?: Error) => loseOnce(e ?? new Error(`${o.path} closed`)));
  port.on('error', (e: Error) => loseOnce(e));
  return {
    path: o.path,
    get longLines() {
      return guard.longLines;
    },
    get queuedBytes() {
      return queuedBytes;
    },
    write(data) {
      return new Promise<void>((resolve, reject) => {
        if (lost || closing) {
          reject(new Error(`${o.path} is not open`));
          return;
        }
        // latin1: one byte per character.
        queuedBytes += data.length;
        port.write(data, 'latin1', (e) => {
          queuedBytes -= data.length;
          if (!e) return resolve();
          loseOnce(e);
          reject(e);
        });
      });
    },
    async close(maxWaitMs) {
      if (closing) return;
      closing = true;
      port.unpipe(guard);
      if (!port.isOpen) return;
      const timers = o.timers ?? realTimers;
      await new Promise<void>((resolve) => {
        let timer: TimerHandle;
        let done = false;
        const shut = () => {
          if (done) return;
          done = true;
          timers.clearTimeout(timer);
          // Another holder of the tty (socat behind a pty) would keep it exclusive after us.
          if (held) exclusive(o.path, false);
          // Closing cancels a write still pending in the binding (it fails; we are closing).
          port.close(() => resolve());
        };
        if (maxWaitMs !== undefined) timer = timers.setTimeout(shut, maxWaitMs);
        // Wait for queued writes (the final IDLE) to reach the binding before closing.
        port.drain(shut);
      });
    },
  };
}

/**
 * Where the board is now: `path` when it is listed (or listing is impossible — on Linux it needs
 * udevadm), else the listed port with the USB serial number we knew, else `path` again (the
 * open then fails with a clear "no such port").
 */
export async function findPort(
  path: string,
  serialNumber: string | undefined,
  binding?: Binding,
): Promise<string> {
  let ports: PortInfo[];
  try {
    ports = await bindingOf(binding).list();
  } catch {
    return path;
  }
  if (ports.some((p) => p.path === path)) return path;
  const bySerial = serialNumber && ports.find((p) => p.serialNumber === serialNumber);
  return bySerial ? bySerial.path : path;
}

/** The USB serial number listed for `path`, when the OS lists one. */
export async function serialNumberOf(path: string, binding?: Binding): Promise<string | undefined> {
  try {
    return (await bindingOf(binding).list()).find((p) => p.path === path)?.serialNumber;
  } catch {
    return undefined;
  }
}
