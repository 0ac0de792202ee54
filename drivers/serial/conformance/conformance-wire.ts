/**
 * The conformance suite's end of the wire: raw lines out, every board line kept with what is
 * wrong with it. Unlike the host driver's link it does not drop bad board lines: a reply whose
 * CRC is missing or wrong is still matched to its request (parsed leniently) so that one
 * framing defect is reported once, against §2.4, instead of making every later check time out.
 */
import type { Duplex } from 'node:stream';
import type { SerialPortStream } from '@serialport/stream';
import type { Binding } from '../transport/binding.ts';
import { parseReply, withCrc, type BadLine, type Reply, type ReplySeq } from '../wire/codec.ts';
import { guardedLines, type LineGuard } from '../wire/line-guard.ts';
import { openPort } from '../transport/port-connection.ts';

/** Where the board is: a port path (opened here), or a stream already connected to it. */
export type ConformanceTarget =
  string | { path: string; binding?: Binding } | { stream: Duplex; name: string };

/** One line the board sent, as received. */
export interface BoardLine {
  /** Position in the order of arrival. */
  index: number;
  /** The line without its `\n` (a `\r` before it is kept: §2.1 says the board sends `\r\n`). */
  raw: string;
  /** The reply or event it carries, parsed leniently (a missing or wrong CRC is tolerated). */
  reply: Reply | undefined;
  /** Why the strict parse of §2.4/§2.7 refused it; undefined when the line is valid. */
  defect: BadLine | undefined;
  /** True when the line was cut by the guard for exceeding §2.6. */
  cut: boolean;
}

/** The CRC suffix of §2.2, in any case, for the lenient parse. */
const ANY_CRC = /\*[0-9A-Fa-f]{4}$/;

/** Parse a board line strictly, and leniently when strictly it is bad. */
export function readBoardLine(raw: string): Pick<BoardLine, 'reply' | 'defect'> {
  const body = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  const strict = parseReply(body);
  if (typeof strict !== 'string') return { reply: strict, defect: undefined };
  const core = body.replace(ANY_CRC, '');
  const loose = parseReply(withCrc(core));
  return { reply: typeof loose === 'string' ? undefined : loose, defect: strict };
}

/** Seq of a reply line, or undefined for events and unreadable lines. */
export function seqOf(line: BoardLine): ReplySeq | undefined {
  return line.reply && line.reply.kind !== 'event' ? line.reply.seq : undefined;
}

/** Options of `ConformanceWire.open`. */
export interface WireOptions {
  /** Baud rate when opening a path. Default 921600. */
  baudRate?: number;
}

export class ConformanceWire {
  /** Every line received, in order. */
  readonly lines: BoardLine[] = [];
  private readonly guard: LineGuard;
  private readonly wakers = new Set<() => void>();
  private lost: Error | undefined;

  private constructor(
    /** Port path or stream name, for messages. */
    readonly name: string,
    private readonly stream: Duplex,
    /** True when this wire opened the port and so closes it. */
    private readonly owned: boolean,
  ) {
    const { guard, parser } = guardedLines(stream);
    this.guard = guard;
    let cutBefore = 0;
    parser.on('data', (raw: string) => {
      const cut = this.guard.longLines > cutBefore;
      cutBefore = this.guard.longLines;
      this.lines.push({ index: this.lines.length, raw, cut, ...readBoardLine(raw) });
      this.wake();
    });
    const gone = (e?: Error) => {
      this.lost ??= e ?? new Error(`${name} closed`);
      this.wake();
    };
    stream.on('close', gone);
    stream.on('error', gone);
  }

  /** Open the target: a path through serialport (flushed first, §7.1), or a given stream. */
  static async open(
    target: ConformanceTarget,
    options: WireOptions = {},
  ): Promise<ConformanceWire> {
    if (typeof target === 'object' && 'stream' in target)
      return new ConformanceWire(target.name, target.stream, false);
    const path = typeof target === 'string' ? target : target.path;
    const binding = typeof target === 'string' ? undefined : target.binding;
    const port = await openPort(path, options.baudRate ?? 921600, binding);
    return new ConformanceWire(path, port, true);
  }

  /** True once the port closed or failed under us. */
  get isLost(): boolean {
    return this.lost !== undefined;
  }

  /** Lines cut by the guard because the board sent more than §2.6 allows. */
  get longLines(): number {
    return this.guard.longLines;
  }

  /** Seqs of every line sent (`-` for lines without one), to tell replies from strays (§2.7). */
  readonly sentSeqs = new Set<ReplySeq>();

  /** Write raw bytes (a string is written as latin1, so `\xb5` is one byte). */
  send(data: string | Buffer): Promise<void> {
    const text = typeof data === 'string' ? data : data.toString('latin1');
    for (const line of text.split(/[\r\n]+/)) {
      if (line === '') continue;
      const m = /^(\d+) /.exec(line);
      this.sentSeqs.add(m ? Number(m[1]) : '-');
    }
    return new Promise((resolve, reject) => {
      if (this.lost) return reject(this.lost);
      this.stream.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data, (e) =>
        e ? reject(e) : resolve(),
      );
    });
  }

  /** Index the next received line will have. */
  mark(): number {
    return this.lines.length;
  }

  /**
   * The first line at or after `from` that `match` accepts; undefined after `timeoutMs` (or
   * when the link is lost).
   */
  async waitFor(
    match: (line: BoardLine) => boolean,
    from: number,
    timeoutMs: number,
  ): Promise<BoardLine | undefined> {
    const deadline = Date.now() + timeoutMs;
    let i = from;
    for (;;) {
      for (; i < this.lines.length; i++) if (match(this.lines[i]!)) return this.lines[i];
      const left = deadline - Date.now();
      if (left <= 0 || this.lost) return undefined;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.wakers.delete(done);
          resolve();
        };
        const timer = setTimeout(done, left);
        this.wakers.add(done);
      });
    }
  }

  /** The reply (not an event) with `seq` at or after `from`. */
  waitReply(seq: ReplySeq, from: number, timeoutMs: number): Promise<BoardLine | undefined> {
    return this.waitFor((l) => seqOf(l) === seq, from, timeoutMs);
  }

  /** Close the port when this wire opened it; a given stream is only unpiped. */
  async close(): Promise<void> {
    this.stream.unpipe(this.guard);
    this.wake();
    if (!this.owned) return;
    const port = this.stream as SerialPortStream;
    if (!port.isOpen) return;
    await new Promise<void>((resolve) => port.drain(() => port.close(() => resolve())));
  }

  private wake(): void {
    for (const w of [...this.wakers]) w();
  }
}
