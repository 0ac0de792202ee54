/**
 * Test transports for the host driver: a serialport binding (on top of MockBinding) whose port
 * is wired to a Duplex on the board side, with unplug/replug, a record of every byte the host
 * wrote, and a scripted board for exact-exchange tests.
 */
import assert from 'node:assert/strict';
import type { Duplex } from 'node:stream';
import { SerialPortMock } from 'serialport';
import type { Binding } from '../../../drivers/serial/transport/binding.ts';
import { duplexPair } from '../../../drivers/serial/transport/duplex-pair.ts';

// serialport's typings of binding-mock resolve under NodeNext; binding-mock's own do not.
const MockBinding = SerialPortMock.binding;

type MockPort = Awaited<ReturnType<typeof MockBinding.open>>;

/** A binding whose `path` leads to a board served on the Duplex given to `onConnect`. */
export interface Bridge {
  binding: Binding;
  /** Every byte the host wrote, across connections (latin1). */
  written(): string;
  /** Pull the cable: the host's read fails as on a USB unplug; opening fails until `replug`. */
  unplug(): void;
  replug(): void;
}

export function bridge(path: string, onConnect: (board: Duplex) => void): Bridge {
  MockBinding.createPort(path);
  let log = '';
  let present = true;
  let cut: ((e: Error) => void) | undefined;
  const binding = {
    ...MockBinding,
    list: () => MockBinding.list(),
    async open(options: Parameters<typeof MockBinding.open>[0]) {
      if (!present && options.path === path) {
        await Promise.resolve();
        throw new Error(
          `Port does not exist - please call MockBinding.createPort('${path}') first`,
        );
      }
      const port: MockPort = await MockBinding.open(options);
      const [host, board] = duplexPair();
      const write = port.write.bind(port);
      port.write = async (b: Buffer) => {
        await write(b);
        log += b.toString('latin1');
        host.write(b);
      };
      host.on('data', (d: Buffer) => {
        if (port.isOpen) port.emitData(d);
      });
      const gone = new Promise<never>((_, reject) => {
        cut = reject;
      });
      gone.catch(() => {});
      const read = port.read.bind(port);
      port.read = (b, o, l) => Promise.race([read(b, o, l), gone]);
      const close = port.close.bind(port);
      port.close = async () => {
        await close();
        host.destroy();
      };
      onConnect(board);
      return port;
    },
  } as unknown as Binding;
  return {
    binding,
    written: () => log,
    unplug() {
      present = false;
      cut?.(new Error('device disconnected (EIO)'));
    },
    replug() {
      present = true;
    },
  };
}

/**
 * A scripted board (PyMeasure's expected_protocol): each host line must equal the next
 * expected one, and is answered with the given reply (or nothing). `done()` checks all were used.
 */
export function scriptedBoard(exchanges: [string, string | undefined][]) {
  let i = 0;
  const errors: string[] = [];
  return {
    connect(board: Duplex) {
      let buf = '';
      board.on('data', (d: Buffer) => {
        buf += d.toString('latin1');
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl + 1);
          buf = buf.slice(nl + 1);
          const x = exchanges[i++];
          if (!x || x[0] !== line) {
            errors.push(
              `exchange ${i - 1}: expected ${JSON.stringify(x?.[0])}, host sent ${JSON.stringify(line)}`,
            );
            continue;
          }
          if (x[1] !== undefined) board.write(x[1]);
        }
      });
    },
    done() {
      assert.deepEqual(errors, []);
      assert.equal(i, exchanges.length, `only ${i} of ${exchanges.length} exchanges happened`);
    },
  };
}

/** Timers that move only when told to: timeouts and backoff without waiting. */
export class ManualTimers {
  now = 0;
  private seq = 0;
  private readonly due = new Map<number, { at: number; fn: () => void }>();
  setTimeout(fn: () => void, ms: number): number {
    const id = ++this.seq;
    this.due.set(id, { at: this.now + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.due.delete(handle as number);
  }
  /** Pending callbacks' due times (ms from now). */
  pending(): number[] {
    return [...this.due.values()].map((d) => d.at - this.now).sort((a, b) => a - b);
  }
  /** Move time forward, running what falls due (letting I/O settle between callbacks). */
  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    for (;;) {
      await settle();
      const next = [...this.due.entries()].sort((a, b) => a[1].at - b[1].at)[0];
      if (!next || next[1].at > end) break;
      this.due.delete(next[0]);
      this.now = next[1].at;
      next[1].fn();
    }
    this.now = end;
    await settle();
  }
}

/** Let queued I/O (nextTicks, setImmediates, promise chains) run. */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}
