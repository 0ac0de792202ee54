/**
 * A firmware emulator behind a `@serialport/binding-mock` port: hermetic, in process, no
 * operating-system serial layer. The host opens the port by path with `firmwareMockBinding`
 * (a MockBinding whose ports can carry a board):
 *
 *     const pair = mockPortPair('/dev/ttyMOCK0', chip);
 *     const port = new SerialPortStream({ binding: pair.binding, path: pair.path, baudRate: 921600 });
 *
 * What the host writes reaches the firmware; what the firmware writes arrives through
 * `emitData`. Unlike a bare MockBinding this one can also pull the cable (`unplug()`): the
 * host's pending read fails (SerialPortStream closes with a disconnect error, as on a real
 * unplug) and opening the path fails with "No such file or directory" until `replug()`.
 */
import { SerialPortMock } from 'serialport';
import { BenchError } from '../../driver.ts';
import type { EmulatorDriver } from '../../emulator/emulator-driver.ts';
import { duplexPair } from './duplex-pair.ts';
import { spliceFaults, type FaultStream, type LinkFaults } from '../faults/faults.ts';
import { Firmware, type FirmwareOptions } from '../board/firmware.ts';

/** Options of `mockPortPair`. */
export interface MockPortPairOptions {
  /** Link rate the firmware throttles to (baud, 8N1). Default: unthrottled. */
  baud?: number;
  /** Firmware options (boot id, firmware version, input throttling). */
  firmware?: Omit<FirmwareOptions, 'baud'>;
  /** Link faults, per direction. Default none. */
  faults?: LinkFaults;
  /** USB identity the port lists with (`SerialPort.list()` through the binding). */
  usb?: { manufacturer?: string; vendorId?: string; productId?: string };
}

/** A board on a mock port. */
export interface MockPortPair {
  /** Path to open. */
  readonly path: string;
  /** The binding to open it with (`firmwareMockBinding`). */
  readonly binding: MockBindingInterface;
  readonly firmware: Firmware;
  /** Fault streams in force, if any. */
  readonly faults: { toBoard: FaultStream | undefined; toHost: FaultStream | undefined };
  /** False between `unplug()` and `replug()`. */
  readonly plugged: boolean;
  /** Pull the cable; plug it back in after `replugAfterMs` when given (ms). */
  unplug(replugAfterMs?: number): void;
  /** Plug the cable back in. */
  replug(): void;
  /** Remove the board: the port disappears, the firmware stops. The chip is not closed. */
  close(): Promise<void>;
}

// serialport's typings of binding-mock resolve under NodeNext; binding-mock's own do not.
/** The MockBinding of @serialport/binding-mock (the one instance serialport uses). */
const MockBinding = SerialPortMock.binding;
/** Type of MockBinding. */
export type MockBindingInterface = typeof SerialPortMock.binding;
type MockPortBinding = Awaited<ReturnType<MockBindingInterface['open']>>;

/** One board's side of a mock port. */
interface Board {
  plugged: boolean;
  /** The host's open port binding, if any. */
  port: MockPortBinding | undefined;
  /** Fails the host's pending read (an unplug). */
  failRead: ((e: Error) => void) | undefined;
  /** Bytes the host wrote, towards the firmware. */
  toBoard(bytes: Buffer): void;
}

const boards = new Map<string, Board>();

function unpluggedError(path: string): Error {
  return Object.assign(new Error(`No such file or directory, cannot open ${path}`), {
    code: 'ENOENT',
  });
}

/** The host opened a port that carries a board: route its bytes to and from the firmware. */
function connect(board: Board, port: MockPortBinding, path: string): void {
  board.port = port;
  const read = port.read.bind(port);
  const write = port.write.bind(port);
  const close = port.close.bind(port);
  port.read = (buffer, offset, length) =>
    new Promise((resolve, reject) => {
      if (!board.plugged) return reject(new Error(`${path} disconnected`));
      board.failRead = reject;
      read(buffer, offset, length).then(resolve, reject);
    });
  port.write = async (buffer) => {
    if (!board.plugged) throw new Error(`${path} disconnected`);
    await write(buffer);
    if (board.plugged && board.port === port) board.toBoard(Buffer.from(buffer));
  };
  port.close = async () => {
    if (board.port === port) {
      board.port = undefined;
      board.failRead = undefined;
    }
    await close();
  };
}

/**
 * MockBinding whose ports may carry a firmware emulator (see mockPortPair). Ports created with
 * `createPort` directly behave as with the plain MockBinding. Shares MockBinding's port table.
 */
export const firmwareMockBinding: MockBindingInterface = {
  ...MockBinding,
  async open(options) {
    const board = options?.path === undefined ? undefined : boards.get(options.path);
    if (board && !board.plugged) {
      await Promise.resolve();
      throw unpluggedError(options.path);
    }
    const port = await MockBinding.open(options);
    if (board) connect(board, port, options.path);
    return port;
  },
};

/**
 * Create a mock port at `path` with the firmware emulator of `chip` behind it.
 * Throws INVALID_ARGUMENT when `path` already carries a board.
 */
export function mockPortPair(
  path: string,
  chip: EmulatorDriver,
  options: MockPortPairOptions = {},
): MockPortPair {
  if (boards.has(path))
    throw new BenchError('INVALID_ARGUMENT', `${path} already carries an emulated board`, {
      field: 'path',
      value: path,
    });
  const [boardEnd, wireEnd] = duplexPair();
  const faulted = spliceFaults(boardEnd, {
    rx: options.faults?.toBoard,
    tx: options.faults?.toHost,
  });
  let replugTimer: NodeJS.Timeout | undefined;
  const board: Board = {
    plugged: true,
    port: undefined,
    failRead: undefined,
    toBoard: (bytes) => wireEnd.write(bytes),
  };
  // Firmware output: to the host's port when one is open and the cable is in, else lost.
  wireEnd.on('data', (bytes: Buffer) => {
    if (board.plugged && board.port?.isOpen) board.port.emitData(bytes);
  });
  boards.set(path, board);
  MockBinding.createPort(path, { echo: false, record: false, ...options.usb });
  const firmware = new Firmware(chip, { ...options.firmware, baud: options.baud }, faulted.stream);

  const pair: MockPortPair = {
    path,
    binding: firmwareMockBinding,
    firmware,
    faults: { toBoard: faulted.rx, toHost: faulted.tx },
    get plugged() {
      return board.plugged;
    },
    unplug(replugAfterMs?: number) {
      if (board.plugged) {
        board.plugged = false;
        const fail = board.failRead;
        board.failRead = undefined;
        fail?.(new Error(`${path} disconnected`));
      }
      if (replugAfterMs !== undefined) {
        clearTimeout(replugTimer);
        replugTimer = setTimeout(() => pair.replug(), replugAfterMs);
      }
    },
    replug() {
      clearTimeout(replugTimer);
      replugTimer = undefined;
      board.plugged = true;
      faulted.rx?.replug();
      faulted.tx?.replug();
    },
    async close() {
      clearTimeout(replugTimer);
      boards.delete(path);
      board.plugged = false;
      board.failRead?.(new Error(`${path} disconnected`));
      await firmware.close();
      faulted.stream.destroy();
      wireEnd.destroy();
    },
  };
  for (const f of [faulted.rx, faulted.tx])
    f?.on('unplug', () => pair.unplug(f.options.replugAfterMs));
  return pair;
}
