/**
 * A firmware emulator behind a real pseudo-terminal pair, so that a host in another process
 * (rram-bench, picocom) reaches it through the operating system's serial layer. `socat` makes
 * the pair; the firmware serves one end and the host opens the other by its path, a symlink
 * that stays the same when the pair is re-created after an unplug.
 *
 * An unplug kills socat: the host's pty hangs up (its SerialPort closes with a disconnect
 * error) and the path disappears. A replug starts socat again under the same symlinks and
 * re-attaches the same firmware, whose chip, reply cache and session are untouched.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { SerialPortStream } from '@serialport/stream';
import { BenchError } from '../../driver.ts';
import { bindingOf } from './binding.ts';
import type { EmulatorDriver } from '../../emulator/emulator-driver.ts';
import { FaultStream, spliceFaults, type LinkFaults } from '../faults/faults.ts';
import { Firmware, type FirmwareOptions } from '../board/firmware.ts';

/** Options of `startPty`. */
export interface PtyOptions {
  /**
   * Path the host opens: a symlink to the pty, re-created at the same place after an unplug.
   * Default `<tmpdir>/rram-bench-pty-XXXXXX/tty` (the directory is removed on close).
   */
  path?: string;
  /** Link rate the firmware throttles to (baud, 8N1). Default: unthrottled (as fast as the pty). */
  baud?: number;
  /** Firmware options (boot id, firmware version, input throttling). */
  firmware?: Omit<FirmwareOptions, 'baud'>;
  /** Link faults, per direction; `unplugAfterBytes` / `replugAfterMs` unplug the pty. Default none. */
  faults?: LinkFaults;
  /** socat executable. Default: `socat` on the PATH. */
  socat?: string;
  /** How long socat may take to create the pair (ms). Default 5000. */
  startTimeoutMs?: number;
}

/** A firmware served on a pty. */
export interface PtyServer {
  /** What the host opens. */
  readonly path: string;
  readonly firmware: Firmware;
  /** False between an unplug and the replug. */
  readonly plugged: boolean;
  /** Fault streams in force, if any. */
  readonly faults: { toBoard: FaultStream | undefined; toHost: FaultStream | undefined };
  /** Pull the cable (the pair disappears); plug it back after `replugAfterMs` when given (ms). */
  unplug(replugAfterMs?: number): Promise<void>;
  /** Re-create the pair under the same path. */
  replug(): Promise<void>;
  /** Stop socat, release the pty and stop the firmware. The chip is not closed. */
  close(): Promise<void>;
}

/** Live socat processes, killed if the process exits without closing them. */
const live = new Set<ChildProcess>();
let exitHook = false;

/** Path of the socat executable, or undefined when it is not installed. */
export function findSocat(name = 'socat'): string | undefined {
  const candidates = name.includes('/')
    ? [name]
    : (process.env.PATH ?? '').split(delimiter).map((d) => join(d, name));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // not here
    }
  }
  return undefined;
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // absent
  }
}

/** Start socat on two symlinked ptys; resolves once both exist. */
function spawnSocat(
  socat: string,
  links: [string, string],
  timeoutMs: number,
): Promise<ChildProcess> {
  for (const l of links) unlinkQuietly(l); // left behind by a socat killed hard
  const child = spawn(socat, ['-d', '-d', ...links.map((l) => `pty,raw,echo=0,link=${l}`)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
  return new Promise((resolve, reject) => {
    let log = '';
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new BenchError('IO', `socat could not create a pty pair: ${why}`, { socat, log }));
    };
    const timer = setTimeout(() => fail(`no pair after ${timeoutMs} ms`), timeoutMs);
    child.stderr.setEncoding('utf8');
    const onLog = (text: string) => {
      log += text;
      if (log.includes('starting data transfer loop')) {
        clearTimeout(timer);
        child.stderr.off('data', onLog);
        child.stderr.resume(); // keep draining, or socat blocks on a full pipe
        child.off('exit', onExit);
        resolve(child);
      }
    };
    const onExit = (code: number | null) => fail(`it exited with ${code}: ${log.trim()}`);
    child.stderr.on('data', onLog);
    child.once('exit', onExit);
    child.once('error', (e) => fail(e.message));
  });
}

function stopSocat(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const hard = setTimeout(() => child.kill('SIGKILL'), 2000);
    child.once('exit', () => {
      clearTimeout(hard);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function openPort(path: string, baudRate: number): Promise<SerialPortStream> {
  return new Promise((resolve, reject) => {
    // The repaired OS binding: the firmware reads and writes at once (see fullDuplexPolling).
    const port = new SerialPortStream({ binding: bindingOf(), path, baudRate }, (e) =>
      e
        ? reject(new BenchError('IO', `cannot open the board end ${path}: ${e.message}`, { path }))
        : resolve(port),
    );
  });
}

function closePort(port: SerialPortStream | undefined): Promise<void> {
  if (!port?.isOpen) return Promise.resolve();
  return new Promise((resolve) => port.close(() => resolve()));
}

/**
 * Serve `chip`'s firmware on a pty pair made by socat. Throws IO when socat is missing
 * ("apt-get install socat") or cannot make the pair.
 */
export async function startPty(chip: EmulatorDriver, options: PtyOptions = {}): Promise<PtyServer> {
  const socat = findSocat(options.socat);
  if (!socat)
    throw new BenchError(
      'IO',
      'socat is needed to emulate a board on a pseudo-terminal: install it (apt-get install socat, or brew install socat)',
      { socat: options.socat ?? 'socat' },
    );
  const dir = options.path ? undefined : mkdtempSync(join(tmpdir(), 'rram-bench-pty-'));
  const path = options.path ?? join(dir!, 'tty');
  const boardPath = `${path}.board`;
  const timeoutMs = options.startTimeoutMs ?? 5000;
  const toBoard = options.faults?.toBoard && new FaultStream(options.faults.toBoard);
  const toHost = options.faults?.toHost && new FaultStream(options.faults.toHost);
  const firmware = new Firmware(chip, { ...options.firmware, baud: options.baud });

  let child: ChildProcess | undefined;
  let port: SerialPortStream | undefined;
  let plugged = false;
  let closed = false;
  let replugTimer: NodeJS.Timeout | undefined;
  /** Serialises plug changes: an unplug fired by a fault while a replug runs waits for it. */
  let chain: Promise<void> = Promise.resolve();
  const serial = (step: () => Promise<void>) => (chain = chain.then(step, step));

  const up = async () => {
    if (closed || plugged) return;
    child = await spawnSocat(socat, [boardPath, path], timeoutMs);
    port = await openPort(boardPath, options.baud ?? 921600);
    toBoard?.replug();
    toHost?.replug();
    const faulted = spliceFaults(port, { rx: toBoard, tx: toHost });
    // An unexpected end of socat is an unplug too; bring the pair back.
    child.once('exit', () => {
      if (plugged && !closed)
        server.unplug(toHost?.options.replugAfterMs ?? 500).catch(() => undefined);
    });
    plugged = true;
    firmware.attach(faulted.stream);
  };
  const down = async () => {
    if (!plugged) return;
    plugged = false;
    firmware.detach();
    const p = port;
    port = undefined;
    await closePort(p);
    await stopSocat(child);
    child = undefined;
  };

  const server: PtyServer = {
    path,
    firmware,
    faults: { toBoard, toHost },
    get plugged() {
      return plugged;
    },
    unplug(replugAfterMs?: number) {
      return serial(async () => {
        await down();
        if (replugAfterMs !== undefined && !closed) {
          clearTimeout(replugTimer);
          replugTimer = setTimeout(
            () => void server.replug().catch(() => undefined),
            replugAfterMs,
          );
        }
      });
    },
    replug() {
      clearTimeout(replugTimer);
      return serial(up);
    },
    async close() {
      closed = true;
      clearTimeout(replugTimer);
      await serial(down);
      await firmware.close();
      toBoard?.destroy();
      toHost?.destroy();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
  for (const f of [toBoard, toHost])
    f?.on('unplug', () => {
      server.unplug(f.options.replugAfterMs).catch(() => undefined);
    });
  try {
    await serial(up);
  } catch (e) {
    await server.close();
    throw e;
  }
  return server;
}
