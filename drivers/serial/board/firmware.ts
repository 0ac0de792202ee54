/**
 * The board-firmware emulator: docs/protocol.md v1 served from an EmulatorDriver over any Node
 * Duplex (bytes in = host → board, bytes out = board → host). It is the reference
 * implementation of the board side of the protocol:
 *
 * - lines (§2): `\n`, `\r\n` or `\r` end a line; bad lines (charset, CRC, syntax, too long)
 *   are dropped without a reply and counted; at most one maximal line is ever buffered;
 * - requests run one at a time, in seq order within a session (§5.1): a request ahead of a
 *   missing seq is held (up to 8) until the missing one arrives; a seq behind is answered from
 *   the reply cache (§5.4) — a retried PULSE is answered, not applied again;
 * - `SESS` and the handshake queries (`*IDN?`, `PROT?`, `LIM?`, `SYST:ERR?`, and `LINK?`) are
 *   answered at once and take no part in ordering or caching (§5.5);
 * - `IDLE` and `ABORT` act at once, whatever is running or held: a stop never waits behind the
 *   operation it is meant to stop (§6.3). They are cached under their seq, and the ordering
 *   skips seqs already answered, so a host may number them in or out of its sequence;
 * - every `ERR` reply is queued for `SYST:ERR?` (§3).
 *
 * The chip stays the caller's: the firmware never closes it. A stream closing is a cable
 * pulled: the board keeps running (as behind a USB–UART bridge it cannot see the host go), and
 * `attach(stream)` plugs a new one in with chip, reply cache and session intact.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { firstValueFrom } from 'rxjs';
import { BenchError, type ChipInfo } from '../../driver.ts';
import type { EmulatorDriver } from '../../emulator/emulator-driver.ts';
import { ByteThrottle, bytesPerSecond } from './byte-throttle.ts';
import {
  MAX_LINE_BYTES,
  encodeErr,
  encodeEvent,
  encodeOk,
  parseRequest,
  type BadLine,
  type ReplySeq,
  type Request,
} from '../wire/codec.ts';
import {
  CHIP_VERBS,
  NON_IDEMPOTENT,
  maxValueChars,
  type Snapshot,
  type Stage,
} from './firmware-verbs.ts';
import { LineAssembler, type AssembledLine } from '../wire/line-assembler.ts';
import { ReplyCache } from './reply-cache.ts';
import { WIRE_ERROR, WireError, asciiText, toWireError } from './firmware-error.ts';

/** Options of `serveFirmware`. */
export interface FirmwareOptions {
  /**
   * Link rate (baud, 8N1). When set, output is paced to baud/10 bytes/s by a token bucket, and
   * so is input consumption unless `throttleInput` is false — a full-duplex UART at that rate.
   * Default: unthrottled.
   */
  baud?: number;
  /** Pace input consumption to the baud rate as well. Default true (when `baud` is set). */
  throttleInput?: boolean;
  /** Boot id of the first boot, 8 hex digits. Default random. */
  bootId?: string;
  /** Firmware version reported by `*IDN?` and `LIM?`. Default the chip's (`0.1.0`). */
  firmwareVersion?: string;
  /**
   * Told of every FORM, PROG and PULSE the board executes (not of retries answered from the
   * reply cache), as it finishes: `emulate --pulse-log FILE`. Default: none.
   */
  onPulseLog?: (entry: PulseLogEntry) => void;
}

/** One executed non-idempotent request (PULSE, PROG, FORM). Retries answered from the cache do not appear. */
export interface PulseLogEntry {
  /** Request seq; undefined when typed without one. */
  seq: number | undefined;
  verb: string;
  /** The request line as received. */
  line: string;
  /** Wall time of execution (ms since the Unix epoch). */
  at: number;
  /** 0 when it succeeded, else the §3 code of its ERR reply (nothing was applied for 200/201). */
  code: number;
  /** Chip time when it started (s, the board's clock). */
  chipTimeS: number;
  /** Pulses it applied, all cells together (FORM: ramp steps; PROG: SET and RESET pulses). */
  pulses: number;
  /** Cells pulsed, row-major indices, and the pulses each got (same length). */
  cells: number[];
  cellPulses: number[];
}

/** Board-side link and execution counters. */
export interface FirmwareCounters {
  /** Bytes received. */
  rxBytes: number;
  /** Non-empty lines received, bad ones included. */
  rxLines: number;
  /** Lines dropped, by reason. */
  bad: Record<BadLine, number>;
  /** Requests answered from the reply cache. */
  cached: number;
  /** Requests executed (run, not answered from the cache). */
  executed: number;
  /** Retries of a request still held or running, ignored (it will be answered once). */
  duplicates: number;
  /** Requests dropped because 8 were already held ahead of a missing seq. */
  holdOverflow: number;
  /** Lines and bytes sent (including those sent while no stream was attached and lost). */
  txLines: number;
  txBytes: number;
}

/** Requests held ahead of a missing seq (§5.1). */
export const MAX_HELD = 8;
/** Errors kept for `SYST:ERR?`; the oldest is dropped beyond this. */
export const ERROR_QUEUE_SIZE = 64;
/** Input bytes buffered in the input throttle before the stream is paused. */
const INPUT_HIGH_WATER = 256 * 1024;

/** Answered at once, outside ordering and the cache (§5.5, §7). */
const OUT_OF_BAND = new Set(['SESS', '*IDN?', 'PROT?', 'LIM?', 'SYST:ERR?', 'LINK?']);
/** Act at once, whatever runs or is held. */
const STOPS = new Set(['IDLE', 'ABORT']);

interface Job {
  req: Request;
  /** Replies of jobs from a previous session are sent but not cached; of a previous boot, dropped. */
  session: object;
  boot: object;
}

/** Distance from `from` to `to` on the 16-bit seq circle. */
function seqAhead(from: number, to: number): number {
  return (to - from) & 0xffff;
}

function randomBootId(): string {
  return randomBytes(4).toString('hex').toUpperCase();
}

/** Serve the protocol from `chip` over `stream`; see Firmware. */
export function serveFirmware(
  stream: Duplex | undefined,
  chip: EmulatorDriver,
  options: FirmwareOptions = {},
): Firmware {
  return new Firmware(chip, options, stream);
}

export class Firmware extends EventEmitter {
  /** Executed non-idempotent requests, in execution order. */
  readonly pulseLog: PulseLogEntry[] = [];
  /** Pulses applied per cell (row-major), by PULSE, PROG and FORM. */
  readonly appliedPulses: Uint32Array;
  readonly counters: FirmwareCounters = {
    rxBytes: 0,
    rxLines: 0,
    bad: { charset: 0, crc: 0, syntax: 0, long: 0 },
    cached: 0,
    executed: 0,
    duplicates: 0,
    holdOverflow: 0,
    txLines: 0,
    txBytes: 0,
  };
  /** Chip info as served by `LIM?`. */
  readonly info: ChipInfo;

  private stream: Duplex | undefined;
  private readonly assembler = new LineAssembler((l) => this.onLine(l));
  private readonly outThrottle: ByteThrottle | undefined;
  private readonly inThrottle: ByteThrottle | undefined;
  private _bootId: string;
  private boot: object = {};
  private readonly noSession = {};
  private session: { id: string; expected: number; token: object } | undefined;
  /** Cache of the open session (or of the time before any session). */
  private readonly cache = new ReplyCache();
  /** Seq → line of requests accepted and not yet answered (held, queued or running). */
  private readonly pending = new Map<number, string>();
  private readonly held = new Map<number, Request>();
  private readonly queue: Job[] = [];
  private running: Job | undefined;
  private readonly errors: string[] = [];
  /** Seqs of queries answered at once that the ordering steps over (§5.1). */
  private readonly stepOver = new Set<number>();
  /** Region snapshots of `SNAP`, for `FETCH`; gone at a reset. */
  private readonly snapshots = new Map<number, Snapshot>();
  /** MVM staging buffers of `STAGE`/`MVMS`/`TAKE`; gone at a reset. */
  private readonly stages = new Map<number, Stage>();
  private closed = false;
  /** Pulses per cell of the request executing now, for its pulse-log entry. */
  private touched: Map<number, number> | undefined;
  private readonly onPulseLog: ((entry: PulseLogEntry) => void) | undefined;
  /** The wait for the attached stream to drain, while it is full. */
  private drain: { stream: Duplex; wait: Promise<void> } | undefined;
  private readonly onData = (chunk: Buffer) => this.receive(chunk);
  private readonly onGone = () => this.detach();
  /** End of input (a pipe closed, `--stdio` at EOF): answer what was received, then unplug. */
  private readonly onEnd = () => {
    const s = this.stream;
    void this.settled().then(() => {
      if (this.stream === s) this.detach();
    });
  };
  /** Resolves when the running job (if any) has sent its reply. */
  private jobDone: Promise<void> = Promise.resolve();

  /** Boots the firmware (sending `! BOOT`) on `stream` when given, else unplugged. */
  constructor(
    readonly chip: EmulatorDriver,
    options: FirmwareOptions = {},
    stream?: Duplex,
  ) {
    super();
    const { baud } = options;
    if (baud !== undefined && !(Number.isFinite(baud) && baud > 0))
      throw new BenchError('INVALID_ARGUMENT', `baud must be a positive number, got ${baud}`, {
        field: 'baud',
        value: baud,
      });
    this.info = {
      ...structuredClone(chip.info),
      firmwareVersion: options.firmwareVersion ?? chip.info.firmwareVersion,
    };
    this.appliedPulses = new Uint32Array(this.info.rows * this.info.cols);
    this.onPulseLog = options.onPulseLog;
    this._bootId = options.bootId ?? randomBootId();
    if (baud !== undefined) {
      this.outThrottle = new ByteThrottle(bytesPerSecond(baud), (b) => this.write(b));
      if (options.throttleInput !== false)
        this.inThrottle = new ByteThrottle(bytesPerSecond(baud), (b) => this.consume(b));
    }
    if (stream) this.attach(stream);
    this.send(encodeEvent('BOOT', [this._bootId]));
  }

  /** The current boot id (8 hex digits); changes at every `reset()`. */
  get bootId(): string {
    return this._bootId;
  }

  /** The seq the open session expects next; undefined before any `SESS`. */
  get expectedSeq(): number | undefined {
    return this.session?.expected;
  }

  /** Plug a stream in (replacing any attached one). A partial line from before is forgotten. */
  attach(stream: Duplex): void {
    if (this.closed) throw new BenchError('CLOSED', 'the firmware emulator is closed');
    this.detach();
    this.stream = stream;
    this.assembler.clear();
    stream.on('data', this.onData);
    stream.on('end', this.onEnd);
    stream.on('close', this.onGone);
    stream.on('error', this.onGone);
  }

  /** Unplug the attached stream (it is not ended or destroyed). Bytes not yet sent are lost. */
  detach(): void {
    const s = this.stream;
    if (!s) return;
    this.stream = undefined;
    s.off('data', this.onData);
    s.off('end', this.onEnd);
    s.off('close', this.onGone);
    s.off('error', this.onGone);
    this.outThrottle?.clear();
    this.inThrottle?.clear();
    this.emit('detach', s);
  }

  /**
   * Simulate a board reset: a new boot id, the reply cache, held and queued requests, the
   * session and the error queue gone, the readout configuration back to its defaults, the chip
   * idle (its conductances are non-volatile and stay), then `! BOOT <boot-id>`.
   */
  async reset(bootId = randomBootId()): Promise<void> {
    this.boot = {};
    this.session = undefined;
    this.stepOver.clear();
    this.cache.clear();
    this.pending.clear();
    this.held.clear();
    this.queue.length = 0;
    this.errors.length = 0;
    this.snapshots.clear();
    this.stages.clear();
    this.outThrottle?.clear();
    this.inThrottle?.clear();
    this.assembler.clear();
    await firstValueFrom(this.chip.idle());
    await CHIP_VERBS['*RST']!([], this.context('-'));
    this._bootId = bootId;
    this.send(encodeEvent('BOOT', [bootId]));
  }

  /**
   * Resolves once nothing is queued or running and the throttles are empty (requests held
   * ahead of a missing seq do not count: they wait for the host). For tests and tools.
   */
  async settled(): Promise<void> {
    while (!this.isSettled()) await new Promise((resolve) => setTimeout(resolve, 1));
  }

  /** Stop serving: detach, drop what is queued. The chip is left idle, not closed. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.detach();
    this.closed = true;
    this.boot = {};
    this.queue.length = 0;
    this.held.clear();
    this.pending.clear();
    this.outThrottle?.close();
    this.inThrottle?.close();
    await firstValueFrom(this.chip.idle());
  }

  // ---- input ------------------------------------------------------------------------------

  private receive(chunk: Buffer): void {
    this.counters.rxBytes += chunk.length;
    if (!this.inThrottle) return this.assembler.push(chunk);
    this.inThrottle.push(chunk);
    // Backpressure: a UART would overrun; a stream can simply be told to wait.
    if (this.inThrottle.pending > INPUT_HIGH_WATER) this.stream?.pause();
  }

  /** Input throttle sink. */
  private consume(chunk: Buffer): void {
    this.assembler.push(chunk);
    if (this.stream?.isPaused() && this.inThrottle!.pending < INPUT_HIGH_WATER / 4)
      this.stream.resume();
  }

  private onLine(l: AssembledLine): void {
    this.counters.rxLines++;
    if ('long' in l) {
      this.counters.bad.long++;
      return;
    }
    const req = parseRequest(l.line);
    if (typeof req === 'string') {
      this.counters.bad[req]++;
      return;
    }
    try {
      this.dispatch(req);
    } catch (e) {
      // A board fault outside any reply (§2.8): queue it and say so with an event.
      this.error('-', WIRE_ERROR.INTERNAL, `internal error: ${(e as Error).message}`);
      this.send(encodeEvent('ERR', [String(WIRE_ERROR.INTERNAL)]));
    }
  }

  private dispatch(req: Request): void {
    if (this.closed) return;
    if (OUT_OF_BAND.has(req.verb)) return void this.answerAtOnce(req);
    if (STOPS.has(req.verb)) return void this.stop(req);
    const { seq } = req;
    if (seq === undefined) return this.enqueue(req); // typed at a terminal: run in arrival order
    if (this.fromCache(seq, req.line)) return;
    const pendingLine = this.pending.get(seq);
    if (pendingLine !== undefined) {
      // A retry of a request held or running: it will be answered once, when it completes.
      this.counters.duplicates++;
      return;
    }
    const s = this.session;
    if (!s) return this.enqueue(req); // no session: arrival order
    const ahead = seqAhead(s.expected, seq);
    if (ahead === 0) {
      this.enqueue(req);
      s.expected = (seq + 1) & 0xffff;
      this.advance();
    } else if (ahead < 0x8000) {
      if (this.held.size >= MAX_HELD) {
        this.counters.holdOverflow++;
        return;
      }
      this.held.set(seq, req);
      this.pending.set(seq, req.line);
    } else {
      this.reply(
        req,
        this.error(
          seq,
          WIRE_ERROR.SEQ_REUSED,
          `seq ${seq} is behind the session's next seq ${s.expected} and no longer in the reply cache`,
        ),
        false,
      );
    }
  }

  /** Move the session's expectation past seqs already answered, releasing held requests. */
  private advance(): void {
    const s = this.session;
    if (!s) return;
    for (;;) {
      const next = this.held.get(s.expected);
      if (next) {
        this.held.delete(s.expected);
        this.enqueue(next, false);
      } else if (this.stepOver.delete(s.expected)) {
        // a query answered at once under this seq
      } else if (!this.cache.has(s.expected)) return;
      s.expected = (s.expected + 1) & 0xffff;
    }
  }

  /** Answer an identical retry from the cache, or refuse a reused seq (§5.4). True when answered. */
  private fromCache(seq: number, line: string): boolean {
    const hit = this.cache.get(seq);
    if (!hit) return false;
    if (hit.line === line) {
      this.counters.cached++;
      this.send(hit.reply);
    } else {
      this.send(
        this.error(
          seq,
          WIRE_ERROR.SEQ_REUSED,
          `seq ${seq} was already used by another request: ${hit.line.slice(0, 80)}`,
        ),
      );
    }
    return true;
  }

  // ---- execution --------------------------------------------------------------------------

  private enqueue(req: Request, markPending = true): void {
    if (req.seq !== undefined && markPending) this.pending.set(req.seq, req.line);
    this.queue.push({ req, session: this.sessionToken(), boot: this.boot });
    if (!this.running) void this.work();
  }

  private async work(): Promise<void> {
    while (!this.running && this.queue.length > 0) {
      const job = this.queue.shift()!;
      this.running = job;
      let finished!: () => void;
      this.jobDone = new Promise<void>((resolve) => (finished = resolve));
      let reply: string;
      try {
        reply = await this.execute(job.req);
      } finally {
        this.running = undefined;
      }
      if (job.boot === this.boot) this.reply(job.req, reply, job.session === this.sessionToken());
      finished();
    }
  }

  /** Identity of the open session (or of the time before any), to tell stale jobs apart. */
  private sessionToken(): object {
    return this.session?.token ?? this.noSession;
  }

  /** Run one request on the chip; resolves to its reply line. Never rejects. */
  private async execute(req: Request): Promise<string> {
    const seq: ReplySeq = req.seq ?? '-';
    this.counters.executed++;
    let line: string;
    let code = 0;
    const chipTimeS = this.chip.macro.clock.now();
    const touched = new Map<number, number>();
    this.touched = touched;
    try {
      const verb = CHIP_VERBS[req.verb];
      if (!verb) throw new WireError(WIRE_ERROR.UNKNOWN_VERB, `no such verb: ${req.verb}`);
      const value = await verb(req.args, this.context(seq));
      if (req.verb === '*RST') this.errors.length = 0;
      line = encodeOk(seq, value);
      if (line.length > MAX_LINE_BYTES)
        throw new WireError(
          WIRE_ERROR.TOO_LONG,
          `the reply would be ${line.length} bytes, more than the ${MAX_LINE_BYTES} a line holds`,
        );
    } catch (e) {
      const w = toWireError(e);
      if (w.code === WIRE_ERROR.INTERNAL) await firstValueFrom(this.chip.idle());
      line = this.error(seq, w.code, w.message);
      code = w.code;
    }
    this.touched = undefined;
    if (NON_IDEMPOTENT.has(req.verb)) {
      const cells = [...touched.keys()];
      const cellPulses = cells.map((c) => touched.get(c)!);
      const entry: PulseLogEntry = {
        seq: req.seq,
        verb: req.verb,
        line: req.line,
        at: Date.now(),
        code,
        chipTimeS,
        pulses: cellPulses.reduce((a, b) => a + b, 0),
        cells,
        cellPulses,
      };
      this.pulseLog.push(entry);
      this.onPulseLog?.(entry);
    }
    return line;
  }

  private context(seq: ReplySeq) {
    return {
      chip: this.chip,
      info: this.info,
      maxValueChars: maxValueChars(seq),
      recordPulses: (cell: number, count: number) => {
        this.appliedPulses[cell]! += count;
        if (count > 0) this.touched?.set(cell, (this.touched.get(cell) ?? 0) + count);
      },
      snapshots: this.snapshots,
      stages: this.stages,
    };
  }

  /** Send a reply; cache it under the request's seq when it belongs to the open session. */
  private reply(req: Request, line: string, cache = true): void {
    if (req.seq !== undefined) {
      this.pending.delete(req.seq);
      if (cache) this.cache.set(req.seq, { line: req.line, reply: line });
    }
    this.send(line);
  }

  // ---- verbs the firmware answers itself --------------------------------------------------

  private async answerAtOnce(req: Request): Promise<void> {
    const seq: ReplySeq = req.seq ?? '-';
    // A query numbered in the ordered sequence must not stall it (§5.1): its seq is stepped
    // over once the ones before it have run.
    const s = this.session;
    if (req.seq !== undefined && s && req.verb !== 'SESS' && seqAhead(s.expected, req.seq) < 256) {
      this.stepOver.add(req.seq);
      this.advance();
    }
    let line: string;
    try {
      line = encodeOk(seq, await this.outOfBand(req));
    } catch (e) {
      const w = toWireError(e);
      line = this.error(seq, w.code, w.message);
    }
    this.send(line);
  }

  private outOfBand(req: Request): Promise<string> | string {
    const { verb, args } = req;
    const none = () => {
      if (args.length)
        throw new WireError(WIRE_ERROR.BAD_ARGS, `${verb} takes no arguments, got ${args.length}`);
    };
    switch (verb) {
      case 'SESS':
        return this.openSession(args);
      case 'LINK?': {
        none();
        const c = this.counters;
        // Every dropped line, the 9th request held ahead of a gap included (§5.8).
        const bad = c.bad.charset + c.bad.crc + c.bad.syntax + c.bad.long + c.holdOverflow;
        return `rx=${c.rxLines} bad=${bad} crc=${c.bad.crc} long=${c.bad.long} cached=${c.cached} over=${c.holdOverflow}`;
      }
      case 'SYST:ERR?':
        none();
        return this.errors.shift() ?? '0,"No error"';
      default:
        return CHIP_VERBS[verb]!(args, this.context(req.seq ?? '-')).then((v) => v ?? '');
    }
  }

  /** `SESS <id> <first-seq>` (§5.5). */
  private openSession(args: readonly string[]): string {
    if (args.length !== 2)
      throw new WireError(
        WIRE_ERROR.BAD_ARGS,
        `SESS takes 2 arguments (session-id first-seq), got ${args.length}`,
      );
    const [id, first] = args as [string, string];
    if (!/^[0-9A-Za-z]{1,32}$/.test(id))
      throw new WireError(
        WIRE_ERROR.BAD_ARGS,
        `session id must be 1-32 letters or digits, got '${id}'`,
      );
    const seq = /^\d+$/.test(first) ? Number(first) : NaN;
    if (!(seq <= 0xffff))
      throw new WireError(
        WIRE_ERROR.BAD_ARGS,
        `first-seq must be an integer 0-65535, got '${first}'`,
      );
    if (this.session?.id !== id) {
      // A new host run: forget the old one's replies and held requests.
      for (const s of this.held.keys()) this.pending.delete(s);
      this.held.clear();
      this.cache.clear();
      this.stepOver.clear();
      this.session = { id, expected: seq, token: {} };
    }
    return `${this._bootId} ${this.session.expected}`;
  }

  /** `IDLE` / `ABORT`: act at once. ABORT also fails held and queued requests with ERR 300. */
  private async stop(req: Request): Promise<void> {
    // Never answered from the cache: a stop always acts (running it twice is harmless).
    const { seq } = req;
    if (req.args.length) {
      const line = this.error(
        seq ?? '-',
        WIRE_ERROR.BAD_ARGS,
        `${req.verb} takes no arguments, got ${req.args.length}`,
      );
      if (seq !== undefined && !this.cache.has(seq)) this.reply(req, line);
      else this.send(line);
      return;
    }
    // Act at once, answer in order (§5.1): first the stopped request's reply, then those ABORT
    // fails, then the stop's own.
    const failed: Request[] = [];
    if (req.verb === 'ABORT') {
      failed.push(...this.queue.map((j) => j.req), ...this.held.values());
      this.held.clear();
      this.queue.length = 0;
    }
    const stopped = this.running ? this.jobDone : undefined;
    await firstValueFrom(this.chip.idle());
    if (stopped) await stopped;
    for (const r of failed)
      this.reply(r, this.error(r.seq ?? '-', WIRE_ERROR.ABORTED, 'aborted before it ran'));
    const line = encodeOk(seq ?? '-');
    // Cached so that a retry is answered and the ordering skips this seq if it is in sequence.
    if (seq !== undefined && !this.cache.has(seq)) this.reply(req, line);
    else this.send(line);
    this.advance();
  }

  // ---- output -----------------------------------------------------------------------------

  /** An ERR reply line, its error queued for `SYST:ERR?`. */
  private error(seq: ReplySeq, code: number, text: string): string {
    const ascii = asciiText(text);
    const line = encodeErr(seq, code, ascii);
    // Quotes inside would end the queued string early.
    this.errors.push(`${code},"${ascii.replace(/"/g, "'")}"`);
    if (this.errors.length > ERROR_QUEUE_SIZE) this.errors.shift();
    return line;
  }

  private send(line: string): void {
    this.counters.txLines++;
    this.counters.txBytes += line.length;
    this.emit('tx', line);
    const bytes = Buffer.from(line, 'latin1');
    if (this.outThrottle) this.outThrottle.push(bytes);
    else void this.write(bytes);
  }

  /**
   * Write to the attached stream; when it asks us to wait (backpressure), resolves once it has
   * drained. Writes while it is full share one wait, so that a burst of replies does not pile
   * up listeners on the stream.
   */
  private write(bytes: Buffer): Promise<void> | undefined {
    const s = this.stream;
    if (!s || s.destroyed || s.writableEnded) return undefined;
    if (s.write(bytes)) return undefined;
    if (this.drain?.stream !== s) {
      const wait = new Promise<void>((resolve) => {
        const done = () => {
          s.off('drain', done);
          s.off('close', done);
          if (this.drain?.stream === s) this.drain = undefined;
          resolve();
        };
        s.on('drain', done);
        s.on('close', done);
      });
      this.drain = { stream: s, wait };
    }
    return this.drain.wait;
  }

  private isSettled(): boolean {
    return (
      this.closed ||
      (!this.running &&
        this.queue.length === 0 &&
        (this.outThrottle?.pending ?? 0) === 0 &&
        (this.inThrottle?.pending ?? 0) === 0)
    );
  }
}
