/**
 * What every conformance check works with: the wire, the chip info the board reported, fresh
 * sessions, request/reply helpers that turn a missing or wrong answer into a check failure,
 * and the test cell (the one cell the suite may pulse). Checks are independent: each opens its
 * own session, so one that fails leaves no held request or seq expectation behind for the next.
 */
import { randomBytes } from 'node:crypto';
import type { ChipInfo, Polarity, Range } from '../../driver.ts';
import {
  decodeF32,
  decodeFlags,
  decodeU16,
  encodeRequest,
  type Reply,
  type ReplySeq,
} from '../wire/codec.ts';
import { seqOf, type BoardLine, type ConformanceWire } from './conformance-wire.ts';

/** Thrown by a check that found the board at fault; the message is the report's detail. */
export class CheckFailed extends Error {
  override readonly name = 'CheckFailed';
}

/** Thrown by a check that cannot run on this board (the message says why). */
export class CheckSkipped extends Error {
  override readonly name = 'CheckSkipped';
}

/** Fail the running check. */
export function fail(detail: string): never {
  throw new CheckFailed(detail);
}

/** Skip the running check. */
export function skip(reason: string): never {
  throw new CheckSkipped(reason);
}

/** Fail the running check unless `cond` holds. */
export function expect(cond: unknown, detail: string): asserts cond {
  if (!cond) fail(detail);
}

/** A line shortened and quoted for a report. */
export function shown(line: string): string {
  const t = line.replace(/\r?\n?$/, '');
  return JSON.stringify(t.length > 90 ? `${t.slice(0, 90)}…` : t);
}

/** Board-side counters of `LINK?` (§4). */
export interface LinkCounters {
  rx: number;
  bad: number;
  crc: number;
  long: number;
  cached: number;
}

/** Parse a `LINK?` value; undefined when it is not `rx=… bad=… crc=… long=… cached=…`. */
export function parseLink(value: string): LinkCounters | undefined {
  // Boards may add counters after these (the reference firmware adds `over=`, §4).
  const m = /^rx=(\d+) bad=(\d+) crc=(\d+) long=(\d+) cached=(\d+)(?: [a-z]+=\d+)*$/.exec(value);
  if (!m) return undefined;
  const [rx, bad, crc, long, cached] = m.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ];
  return { rx, bad, crc, long, cached };
}

/** The midpoint of a range, or a fraction of the way up it. */
export function inside(r: Range, fraction = 0.5): number {
  return r.min + (r.max - r.min) * fraction;
}

/** A pulse well inside the safe operating area (§6): 30% up the amplitude range, mid gate. */
export function safePulseArgs(
  info: ChipInfo,
  row: number,
  col: number,
  polarity: Polarity,
  count: number,
): (string | number)[] {
  const soa = polarity === 'SET' ? info.limits.set : info.limits.reset;
  const w = info.limits.pulseWidthS;
  return [
    row,
    col,
    polarity,
    round(inside(soa.amplitudeV, 0.3)),
    round(Math.sqrt(w.min * w.max)), // the middle of a range spanning decades
    round(inside(soa.gateV)),
    count,
  ];
}

/** Four significant digits: short lines, and the board parses them exactly as written. */
export function round(v: number): number {
  return Number(v.toPrecision(4));
}

/** The seq a session is at, advanced per request (wrapping 65535 → 0, §5.1). */
export class Session {
  constructor(
    private readonly ctx: ConformanceContext,
    /** The session id sent in `SESS`. */
    readonly id: string,
    /** The seq the next ordered request gets. */
    public next: number,
  ) {}

  /** Take the next seq. */
  take(): number {
    const s = this.next;
    this.next = (this.next + 1) & 0xffff;
    return s;
  }

  /** Send `verb args` at the next seq and wait for its reply. */
  async request(verb: string, args: readonly (string | number)[] = []): Promise<Reply> {
    return this.ctx.exchange(encodeRequest(this.take(), verb, args));
  }

  /** The OK value of `verb args` at the next seq; fails the check on ERR. */
  async ok(verb: string, args: readonly (string | number)[] = []): Promise<string> {
    return okValue(await this.request(verb, args), `${verb} ${args.join(' ')}`.trim());
  }
}

/** The value of an OK reply; fails the check on anything else. */
export function okValue(reply: Reply, what: string): string {
  if (reply.kind === 'ok') return reply.value;
  if (reply.kind === 'err') fail(`${what} was answered ERR ${reply.code} ${reply.text}`);
  return fail(`${what} was answered with an event`);
}

/** Check that `reply` is `ERR code`. */
export function expectErr(reply: Reply, code: number, what: string): string {
  if (reply.kind === 'err' && reply.code === code) return `ERR ${code} ${reply.text}`;
  const got =
    reply.kind === 'ok'
      ? `OK ${reply.value}`
      : reply.kind === 'err'
        ? `ERR ${reply.code} ${reply.text}`
        : 'an event';
  return fail(`${what} should be answered ERR ${code}, got ${got.slice(0, 120)}`);
}

/** The suite's test cell, once formed (or found formed). */
export interface TestCell {
  row: number;
  col: number;
  /** The FORM reply value. */
  formReply: string;
  /** Forming pulses it took (0 when it was formed before). */
  formPulses: number;
  formed: boolean;
}

/** One check of the suite: the clause it verifies, and how. */
export interface ConformanceCheck {
  /** The clause of docs/protocol.md, e.g. `§5.4`. */
  clause: string;
  /** What a conforming board does, as one sentence. */
  title: string;
  /** True when the check changes the chip (cells pulsed or formed; settings it restores). */
  changesState: boolean;
  /** Resolves to the detail of a pass; throws CheckFailed or CheckSkipped. */
  run(ctx: ConformanceContext): Promise<string>;
}

/** Options the context needs from the suite's options. */
export interface ContextOptions {
  /** Budget for one reply (ms), on top of the line's wire time. */
  replyTimeoutMs: number;
  /** Link rate, for the wire time of long lines (baud, 8N1). */
  baudRate: number;
  /** The one cell the suite may form and pulse. Default the last cell of the array. */
  cell?: { row: number; col: number };
}

export class ConformanceContext {
  /** `*IDN?` value, once answered. */
  idn: string | undefined;
  /** The chip info of `LIM?`, when it parsed. */
  info: ChipInfo | undefined;
  /** `CONF?` at the start, restored at the end. */
  initialConf: string | undefined;
  /** Boot id from the handshake's `SESS`. */
  bootId: string | undefined;
  /** What went wrong during the handshake (reported by the §7 check). */
  readonly handshakeProblems: string[] = [];
  /** Settings changed by checks, restored at the end. */
  confChanged = false;
  private nextOob = 61000;
  private nextSessionSeq = 1000;
  private cell: Promise<TestCell> | undefined;

  constructor(
    readonly wire: ConformanceWire,
    readonly options: ContextOptions,
  ) {}

  /** Reply budget for a request of `bytes` bytes: its wire time at the link rate plus the budget. */
  timeoutFor(bytes: number): number {
    return this.options.replyTimeoutMs + Math.ceil((bytes * 10 * 1000) / this.options.baudRate);
  }

  /** The chip info, or skip when `LIM?` gave none. */
  requireInfo(): ChipInfo {
    return this.info ?? skip('LIM? gave no valid chip info: this check needs the limits');
  }

  /** A seq for a query answered outside the ordering (§5.8): any the host likes. */
  oobSeq(): number {
    const s = this.nextOob;
    this.nextOob = this.nextOob >= 64999 ? 61000 : this.nextOob + 1;
    return s;
  }

  /** Send a request line (terminator included) and wait for the reply with its seq. */
  async exchange(line: string, timeoutMs = this.timeoutFor(line.length)): Promise<Reply> {
    return (await this.exchangeLine(line, timeoutMs)).reply!;
  }

  /** As `exchange`, returning the board line itself. */
  async exchangeLine(line: string, timeoutMs = this.timeoutFor(line.length)): Promise<BoardLine> {
    const seq = requestSeq(line);
    const from = this.wire.mark();
    await this.wire.send(line);
    const got = await this.wire.waitReply(seq, from, timeoutMs);
    return got ?? fail(`no reply to ${shown(line)} within ${timeoutMs} ms`);
  }

  /** An out-of-band query (`*IDN?`, `LINK?`, …) at a fresh seq. */
  ask(verb: string, args: readonly (string | number)[] = [], timeoutMs?: number): Promise<Reply> {
    const line = encodeRequest(this.oobSeq(), verb, args);
    return this.exchange(line, timeoutMs ?? this.timeoutFor(line.length));
  }

  /** The OK value of an out-of-band query. */
  async askOk(
    verb: string,
    args: readonly (string | number)[] = [],
    timeoutMs?: number,
  ): Promise<string> {
    return okValue(await this.ask(verb, args, timeoutMs), verb);
  }

  /** The board's `LINK?` counters (`timeoutMs`: when long lines are still on the wire before it). */
  async link(timeoutMs?: number): Promise<LinkCounters> {
    const v = await this.askOk('LINK?', [], timeoutMs);
    return parseLink(v) ?? fail(`LINK? answered ${shown(v)}, not rx=… bad=… crc=… long=… cached=…`);
  }

  /** Open a session with a new id (§5.5), starting at `first` (default: a fresh block of seqs). */
  async session(first?: number): Promise<Session> {
    const start = first ?? this.nextSessionSeq;
    if (first === undefined)
      this.nextSessionSeq = this.nextSessionSeq >= 50000 ? 1000 : this.nextSessionSeq + 1000;
    const id = randomBytes(4).toString('hex').toUpperCase();
    const value = await this.askOk('SESS', [id, start]);
    const next = Number(value.split(' ')[1]);
    expect(
      next === start,
      `SESS ${id} ${start} (a new id) answered ${shown(value)}: the board should expect seq ${start}`,
    );
    return new Session(this, id, start);
  }

  /**
   * Send `bytes`, a line the board must drop (§2.5), then `LINK?`: the board must not answer the
   * dropped line (no reply with `seq`) and `bad` must grow by one. Returns the counters' change.
   */
  async expectDropped(bytes: string | Buffer, seq: ReplySeq, what: string): Promise<LinkCounters> {
    const before = await this.link();
    const from = this.wire.mark();
    await this.wire.send(bytes);
    const after = await this.link(this.timeoutFor(bytes.length + 20));
    const answered = this.wire.lines.slice(from).find((l) => seqOf(l) === seq);
    if (answered)
      fail(`${what} was answered ${shown(answered.raw)}; it must be dropped without a reply`);
    const delta = diff(after, before);
    // LINK? itself is a line received; anything beyond it is the dropped line.
    expect(
      delta.bad === 1,
      `${what}: LINK? bad= grew by ${delta.bad}, expected 1 (before ${fmt(before)}, after ${fmt(after)})`,
    );
    return delta;
  }

  /**
   * The cell the suite pulses: formed first when it is virgin (`FORM` on that one cell, a ramp
   * from the forming minimum to 75% of the range). Skips when it will not form.
   */
  testCell(): Promise<TestCell> {
    this.cell ??= this.formTestCell();
    return this.cell;
  }

  private async formTestCell(): Promise<TestCell> {
    const info = this.requireInfo();
    const { row, col } = this.options.cell ?? { row: info.rows - 1, col: info.cols - 1 };
    if (row >= info.rows || col >= info.cols)
      skip(`test cell (${row}, ${col}) is outside the ${info.rows}x${info.cols} array`);
    const f = info.limits.forming;
    const startV = f.amplitudeV.min;
    const stopV = round(inside(f.amplitudeV, 0.75));
    // Steps of 0.1 V unless the board allows fewer pulses than that needs.
    const stepV = round(Math.max(0.1, (stopV - startV) / Math.max(1, f.maxPulses - 1) + 1e-3));
    const gateV = round(inside(f.gateV));
    const widthS = round(Math.sqrt(f.widthS.min * f.widthS.max));
    const s = await this.session();
    const value = await s.ok('FORM', [row, col, 1, 1, startV, stopV, stepV, gateV, widthS]);
    const [flags, pulses, g] = value.split(' ');
    const formed = flags === undefined ? undefined : decodeFlags(flags, 1);
    const count = pulses === undefined ? undefined : decodeU16(pulses, 1);
    const conductance = g === undefined ? undefined : decodeF32(g, 1);
    if (!formed || !count || !conductance || value.split(' ').length !== 3)
      fail(`FORM answered ${shown(value)}, not <formed:bits> <pulses:u16> <g:f32> for one cell`);
    return { row, col, formReply: value, formPulses: count[0]!, formed: formed[0] === 1 };
  }

  /** Conductance of one cell (µS), averaged. */
  async readCell(s: Session, row: number, col: number): Promise<number> {
    const info = this.requireInfo();
    const average = Math.min(16, info.limits.maxReadAverage);
    const value = await s.ok('READ', [row, col, 1, 1, average]);
    const g = decodeF32(value.split(' ')[1] ?? '', 1);
    return g?.[0] ?? fail(`READ ${row} ${col} 1 1 ${average} answered ${shown(value)}`);
  }
}

/** The seq of a request line we built (`-` for terminal input). */
function requestSeq(line: string): ReplySeq {
  const m = /^(\d+) /.exec(line);
  return m ? Number(m[1]) : '-';
}

/** `after − before`, per counter. */
export function diff(after: LinkCounters, before: LinkCounters): LinkCounters {
  return {
    rx: after.rx - before.rx,
    bad: after.bad - before.bad,
    crc: after.crc - before.crc,
    long: after.long - before.long,
    cached: after.cached - before.cached,
  };
}

function fmt(c: LinkCounters): string {
  return `rx=${c.rx} bad=${c.bad} crc=${c.crc} long=${c.long} cached=${c.cached}`;
}
