/**
 * The request/reply engine of protocol v1 (§5): ordered requests get consecutive seqs and at
 * most `window` of them are in flight; control requests (handshake queries, SESS, IDLE, ABORT,
 * SYST:ERR?) are answered at once by the board and use seqs far from the ordered ones, so they
 * can never meet them in the board's reply cache.
 *
 * Because the board executes and answers ordered requests in seq order, a reply for seq s
 * proves every older request in flight was executed and its reply lost: those are resent at
 * once (the reply cache answers them) instead of waiting for a timeout. Only the oldest request
 * in flight runs a timer — the ones behind it cannot be answered before it is. The timer runs
 * from when the request is handed to the port (or becomes the oldest), not from when the port
 * reports its bytes written: a port whose writes stall (backpressure that never clears, a
 * wedged driver) must still end in a retry and, at last, TIMEOUT — never in a silent hang
 * (§5.2). Bytes the port still holds from earlier lines are wire time of the request too.
 *
 * Cancelled requests that are already on the wire stay in flight, results discarded: the board
 * expects every seq, so dropping one would stall the session.
 *
 * The link keeps the adaptive line budget (§5.9, line-budget.ts): resends and bad reply lines
 * lower it, runs of clean replies raise it. An operation split into many requests queues them
 * as a `lazy` source, asked for its next request only when the window has room, so requests
 * not yet sent are sized with the budget of the moment; a request once sent is never re-split
 * (a retry is the identical line, §5.3).
 */
import { BenchError } from '../../driver.ts';
import { encodeRequest, parseReply } from '../wire/codec.ts';
import { boardError } from './board-error.ts';
import type { Connection } from '../transport/port-connection.ts';
import { LineBudget } from './line-budget.ts';
import { emptyStats, type LinkStats } from './link-stats.ts';
import type { TimerHandle, Timers } from '../transport/timers.ts';

/** What a request costs, for its timeout budget (§5.2). */
export interface CallCost {
  /** Modelled execution time on the board (s). Default 0. */
  execS?: number;
  /** Largest expected reply line (bytes). Default 64. */
  replyBytes?: number;
}

/** Options of an ordered request. */
export interface CallOptions extends CallCost {
  /** PULSE, PROG, FORM: never resent to a board that reset (§5.7). */
  nonIdempotent?: boolean;
  /** Operation the request belongs to, for `cancel(owner)`. */
  owner?: object;
}

/** Link tuning. */
export interface LinkOptions {
  /** Port path, for messages. */
  port: string;
  /** Link rate (bit/s), for wire-time budgets. */
  baudRate: number;
  /** Most ordered requests in flight (1–8). */
  window: number;
  /** Resends of a request before it fails with TIMEOUT. */
  retries: number;
  /** Fixed margin added to every request's budget (ms). */
  marginMs: number;
  /** Time source. */
  timers: Timers;
  /** Longest line (bytes): the ceiling of the line budget. */
  maxLineBytes: number;
  /**
   * Longest a request may go unanswered while the board is heard from (ms): a board that
   * answers, even with replies corrupted on the way, is alive, and its requests are resent
   * with backoff until this deadline. A silent board still fails after `retries` resends.
   */
  deadlineMs: number;
}

/** One request of a `lazy` source, with where its outcome goes. */
export interface LazyRequest {
  verb: string;
  args: readonly (string | number)[];
  options?: CallCost & { nonIdempotent?: boolean };
  resolve: (value: string) => void;
  reject: (e: unknown) => void;
}

/** The requests of one operation, made as the window has room (see `Link.lazy`). */
interface Source {
  owner: object | undefined;
  next(lineBudget: number): LazyRequest | undefined;
  /** The source is dropped before its end (the link failed or closed). */
  reject(e: unknown): void;
}

/** What the link asks of its owner. */
export interface LinkHooks {
  /** An `! BOOT <id>` event arrived. */
  onBoot(bootId: string): void;
  /** Start a new session before sending more: a request failed for good and broke the seq chain. */
  resync(): Promise<void>;
  /** The link is noisy but the board answers: say what the link is doing about it. */
  onTrouble?(message: string): void;
}

interface Call {
  verb: string;
  args: readonly string[];
  ordered: boolean;
  nonIdempotent: boolean;
  execS: number;
  replyBytes: number;
  owner: object | undefined;
  resolve(value: string): void;
  reject(e: unknown): void;
  seq: number;
  line: string;
  /** Resends counted against `retries`. */
  attempts: number;
  fastResent: boolean;
  /** Bytes the port still held from earlier writes when this line was last handed to it. */
  queuedAhead: number;
  /** Line-budget generation when it was numbered: its trouble cuts the budget at most once. */
  generation: number;
  orphan: boolean;
  timer: TimerHandle;
  /** Lines heard from the board (good or bad) when the line was last sent. */
  heardAtSend: number;
  /** Timeouts in a row with not a line heard from the board meanwhile. */
  silent: number;
  /** Time waited on timeouts so far (ms, the sum of the budgets that ran out). */
  waitedMs: number;
  /** Budget multiplier: doubles at every timeout beyond `retries` (up to 16). */
  backoff: number;
  /** Wall time of the first send (performance.now() ms), for the round-trip estimate. */
  sentAt: number;
  warned: boolean;
  /** A liveness probe: one try, its timeout not counted. */
  probe: boolean;
}

type State = 'down' | 'handshake' | 'up' | 'closed';

const MAX_SEQ = 0xffff;
/** Control seqs sit half the seq space away from the ordered ones (§5.5 leaves them to the host). */
const CONTROL_OFFSET = 0x8000;

const isSource = (q: Call | Source): q is Source => 'next' in q;

export class Link {
  readonly stats: LinkStats;
  /** Line budget for sizing requests not yet sent (§5.9). */
  readonly budget: LineBudget;
  /** Valid lines received since the last `attach` (to tell a garbage stream from silence). */
  goodLines = 0;
  /** Non-empty lines heard from the board, bad ones included: a board that answers is alive. */
  private heard = 0;
  private state: State = 'down';
  private conn: Connection | undefined;
  private nextSeq = 1;
  private controlCount = 0;
  private readonly queue: (Call | Source)[] = [];
  private inflight: Call[] = [];
  private readonly controls = new Map<number, Call>();
  private needsResync = false;
  private resyncing = false;
  private failure: BenchError | undefined;
  /** A `LINK?` probe is out (see `probe`). */
  private probing = false;

  constructor(
    private readonly o: LinkOptions,
    private readonly hooks: LinkHooks,
  ) {
    // Down to 256 B: at 1e-3 corrupted bytes a 1 KiB line (and its reply) gets through one time in
    // seven, a 256 B one three times in five.
    this.budget = new LineBudget({ ceiling: o.maxLineBytes, floor: 256 });
    this.stats = emptyStats(this.budget.value);
  }

  /** Longest line a request sized now may have (bytes). */
  get lineBudget(): number {
    return this.budget.value;
  }

  /** Seq the next ordered request will take, or the oldest still in flight: what SESS announces. */
  get firstUnsettledSeq(): number {
    return this.inflight[0]?.seq ?? this.nextSeq;
  }

  /** Ordered requests in flight or queued. */
  get pending(): number {
    return this.inflight.length + this.queue.length;
  }

  /** A fresh session starts numbering at `seq`. Only while nothing is in flight. */
  startSession(seq: number): void {
    this.nextSeq = seq & MAX_SEQ;
  }

  /** A port is open: control requests may flow, ordered ones wait for `resume`. */
  attach(conn: Connection): void {
    this.conn = conn;
    this.goodLines = 0;
    this.state = 'handshake';
  }

  /** The port went away or the board reset: stop all timers until `resume`. */
  detach(): void {
    if (this.state === 'closed') return;
    this.state = 'down';
    for (const c of this.inflight) this.stopTimer(c);
    for (const c of this.controls.values()) {
      this.stopTimer(c);
      c.reject(
        new BenchError('DISCONNECTED', `lost ${this.o.port} during ${c.verb}`, {
          port: this.o.port,
        }),
      );
    }
    this.controls.clear();
  }

  /**
   * The handshake after `attach` is done: resend what was in flight and go on. After a board
   * reset (`bootChanged`) non-idempotent requests fail with DEVICE instead and the rest are
   * renumbered from `boardNextSeq`, preceded by `restore` (requests that rebuild host state).
   */
  resume(
    bootChanged: boolean,
    boardNextSeq: number,
    restore: { verb: string; args: string[] }[] = [],
  ): void {
    if (this.state === 'closed') return;
    if (bootChanged) {
      const keep: Call[] = restore.map((r) =>
        this.makeCall(
          r.verb,
          r.args,
          true,
          { owner: undefined },
          () => {},
          () => {},
        ),
      );
      for (const c of keep) c.orphan = true;
      for (const c of this.inflight) {
        if (!c.nonIdempotent) keep.push(c);
        else if (!c.orphan)
          c.reject(
            new BenchError(
              'DEVICE',
              `board on ${this.o.port} reset during ${c.verb}: re-read the cells before continuing`,
              { port: this.o.port, verb: c.verb },
            ),
          );
      }
      this.nextSeq = boardNextSeq & MAX_SEQ;
      for (const c of keep) this.number(c);
      this.inflight = keep;
    }
    this.state = 'up';
    for (const c of this.inflight) {
      if (!bootChanged) this.stats.retries++;
      else this.stats.sent++;
      this.send(c);
    }
    this.pump();
  }

  /** Send an ordered request; resolves with the reply value, rejects with a BenchError. */
  call(
    verb: string,
    args: readonly (string | number)[],
    options: CallOptions = {},
  ): Promise<string> {
    return new Promise((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      if (this.state === 'closed') return reject(this.closedError());
      this.queue.push(this.makeCall(verb, args.map(String), true, options, resolve, reject));
      this.pump();
    });
  }

  /**
   * Queue the ordered requests of one operation, made lazily: when this source is first in the
   * queue and the window has room, `next(lineBudget)` is asked for the next request, sized with
   * the budget of that moment; `undefined` ends the source. Requests keep the order of the
   * queue, as if all had been queued at once. `reject` is told if the source is dropped by a
   * failure of the link (not by `cancel`). An exception thrown by `next` is given to `reject`.
   */
  lazy(
    next: (lineBudget: number) => LazyRequest | undefined,
    reject: (e: unknown) => void,
    owner?: object,
  ): void {
    if (this.failure) return reject(this.failure);
    if (this.state === 'closed') return reject(this.closedError());
    this.queue.push({ owner, next, reject });
    this.pump();
  }

  /** Send a control request, answered at once by the board; rejects when the link is not open. */
  control(
    verb: string,
    args: readonly (string | number)[] = [],
    cost: CallCost = {},
    probe = false,
  ): Promise<string> {
    return new Promise((resolve, reject) => {
      if (this.state === 'closed') return reject(this.closedError());
      if (!this.conn || this.state === 'down')
        return reject(
          new BenchError('DISCONNECTED', `${this.o.port} is not connected`, { port: this.o.port }),
        );
      const c = this.makeCall(verb, args.map(String), false, cost, resolve, reject);
      c.probe = probe;
      c.seq = (this.nextSeq + CONTROL_OFFSET + (this.controlCount++ % 1024)) & MAX_SEQ;
      c.line = encodeRequest(c.seq, c.verb, c.args);
      this.controls.set(c.seq, c);
      if (!probe) this.stats.sent++;
      this.send(c);
    });
  }

  /** Withdraw an operation: drop its queued requests; returns how many of its requests are still on the wire. */
  cancel(owner: object): number {
    for (let i = this.queue.length - 1; i >= 0; i--)
      if (this.queue[i]!.owner === owner) this.queue.splice(i, 1);
    let onWire = 0;
    for (const c of this.inflight)
      if (c.owner === owner && !c.orphan) {
        c.orphan = true;
        onWire++;
      }
    return onWire;
  }

  /** Fail every ordered request with `e` (those on the wire stay there, results discarded). */
  failAll(e: BenchError): void {
    for (const c of this.queue.splice(0)) c.reject(e);
    for (const c of this.inflight) {
      if (!c.orphan) c.reject(e);
      c.orphan = true;
    }
  }

  /** The link is gone for good: everything now and later fails with `e`. */
  fail(e: BenchError): void {
    this.failure = e;
    this.detach();
    this.failAll(e);
    this.inflight = [];
  }

  /** Stop: every request fails with CLOSED. */
  close(): void {
    const e = this.closedError();
    this.failAll(e);
    this.detach();
    this.inflight = [];
    this.state = 'closed';
    this.conn = undefined;
  }

  /** A line from the port. */
  onLine(line: string): void {
    if (line === '') return;
    this.heard++;
    const r = parseReply(line);
    if (typeof r === 'string') {
      this.stats.badLines[r]++;
      // A reply damaged on the way: if its seq reads as one in flight, ask again at once (the
      // reply cache answers; a request still running ignores the duplicate) rather than wait
      // for the timeout. Otherwise it most likely answered the oldest.
      const m = /^(\d{1,5}) /.exec(line);
      const c = m ? this.inflight.find((f) => f.seq === Number(m[1])) : undefined;
      this.trouble(c ?? this.inflight[0]);
      if (c && this.state === 'up') {
        c.attempts++;
        this.stats.retries++;
        this.send(c);
      }
      return;
    }
    this.goodLines++;
    if (r.kind === 'event') {
      if (r.name === 'BOOT' && r.args[0]) this.hooks.onBoot(r.args[0]);
      else if (r.name === 'ERR') this.stats.boardErrors.push(r.args.join(' '));
      return;
    }
    if (r.seq === '-') {
      this.stats.unmatched++;
      return;
    }
    const control = this.controls.get(r.seq);
    if (control) {
      this.controls.delete(r.seq);
      this.settle(
        control,
        r.kind === 'ok' ? r.value : boardError(this.o.port, control.verb, r.code, r.text),
      );
      return;
    }
    const i = this.state === 'up' ? this.inflight.findIndex((c) => c.seq === r.seq) : -1;
    if (i < 0) {
      this.stats.unmatched++;
      return;
    }
    // Replies come in seq order: older requests still in flight were executed, their replies lost.
    for (let j = 0; j < i; j++) {
      const older = this.inflight[j]!;
      if (!older.fastResent) {
        older.fastResent = true;
        older.attempts++;
        this.stats.retries++;
        this.trouble(older);
        this.send(older);
      }
    }
    const [call] = this.inflight.splice(i, 1);
    this.stats.replies++;
    if (call!.attempts === 0) {
      const rtt = performance.now() - call!.sentAt;
      this.stats.rttMs = this.stats.replies === 1 ? rtt : 0.875 * this.stats.rttMs + 0.125 * rtt;
      if (this.budget.ok()) this.syncBudget();
    }
    this.settle(
      call!,
      r.kind === 'ok' ? r.value : boardError(this.o.port, call!.verb, r.code, r.text),
    );
    if (i === 0) this.armHead();
    this.pump();
  }

  private makeCall(
    verb: string,
    args: readonly string[],
    ordered: boolean,
    o: CallOptions,
    resolve: (v: string) => void,
    reject: (e: unknown) => void,
  ): Call {
    let done = false;
    return {
      verb,
      args,
      ordered,
      nonIdempotent: o.nonIdempotent ?? false,
      execS: o.execS ?? 0,
      replyBytes: o.replyBytes ?? 64,
      owner: o.owner,
      resolve: (v) => {
        if (done) return;
        done = true;
        resolve(v);
      },
      reject: (e) => {
        if (done) return;
        done = true;
        reject(e);
      },
      seq: -1,
      line: '',
      attempts: 0,
      fastResent: false,
      queuedAhead: 0,
      generation: this.budget.generation,
      orphan: false,
      timer: undefined,
      heardAtSend: 0,
      silent: 0,
      waitedMs: 0,
      backoff: 1,
      sentAt: 0,
      warned: false,
      probe: false,
    };
  }

  private number(c: Call): void {
    c.seq = this.nextSeq;
    this.nextSeq = (this.nextSeq + 1) & MAX_SEQ;
    c.line = encodeRequest(c.seq, c.verb, c.args);
    c.attempts = 0;
    c.fastResent = false;
    c.generation = this.budget.generation;
    c.silent = 0;
    c.waitedMs = 0;
    c.backoff = 1;
    c.sentAt = performance.now();
  }

  /** Trouble on the link with `c` (or with no request in particular): lower the budget. */
  private trouble(c: Call | undefined): void {
    if (this.budget.trouble(c?.generation)) this.syncBudget();
  }

  private syncBudget(): void {
    this.stats.lineBudget = this.budget.value;
    this.stats.budgetCuts = this.budget.cuts;
    this.stats.budgetRaises = this.budget.raises;
  }

  /** The next request of the queue, made now if it comes from a source; undefined if none. */
  private takeNext(): Call | undefined {
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      if (!isSource(head)) return this.queue.shift() as Call;
      let r: LazyRequest | undefined;
      try {
        r = head.next(this.budget.value);
      } catch (e) {
        this.queue.shift();
        head.reject(e);
        continue;
      }
      if (!r) {
        this.queue.shift();
        continue;
      }
      return this.makeCall(
        r.verb,
        r.args.map(String),
        true,
        { ...r.options, owner: head.owner },
        r.resolve,
        r.reject,
      );
    }
    return undefined;
  }

  private pump(): void {
    if (this.state !== 'up' || this.resyncing || this.queue.length === 0) return;
    if (this.needsResync) {
      this.resyncing = true;
      this.hooks.resync().then(
        () => {
          this.needsResync = false;
          this.resyncing = false;
          this.pump();
        },
        (e: unknown) => {
          this.resyncing = false;
          for (const c of this.queue.splice(0)) c.reject(e);
        },
      );
      return;
    }
    while (this.inflight.length < this.o.window) {
      const c = this.takeNext();
      if (!c) return;
      this.number(c);
      this.inflight.push(c);
      this.stats.sent++;
      this.send(c);
    }
  }

  private send(c: Call): void {
    const conn = this.conn;
    if (!conn) return;
    c.queuedAhead = conn.queuedBytes;
    c.heardAtSend = this.heard;
    // A failed write is a lost port; the connection reports it to the session.
    conn.write(c.line).catch(() => {});
    // The budget runs from the hand-off, whether or not the port has taken the bytes (§5.2).
    if (!c.ordered || this.inflight[0] === c) this.startTimer(c);
  }

  /** Start the timer of the oldest request in flight, if it has none. */
  private armHead(): void {
    const head = this.inflight[0];
    if (head && this.state === 'up' && head.timer === undefined) this.startTimer(head);
  }

  /**
   * Budget: wire time of request and reply at the link rate — with what the port still holds
   * ahead of the request — execution time, margin (§5.2).
   */
  private budgetMs(c: Call): number {
    // What was ahead of the line at hand-off and is still unwritten is at most both numbers.
    const ahead = Math.min(c.queuedAhead, this.conn?.queuedBytes ?? 0);
    const wireS = ((ahead + c.line.length + c.replyBytes) * 10) / this.o.baudRate;
    return c.backoff * this.o.marginMs + 1000 * (wireS + c.execS);
  }

  private startTimer(c: Call): void {
    this.stopTimer(c);
    const ms = this.budgetMs(c);
    c.timer = this.o.timers.setTimeout(() => this.timedOut(c, ms), ms);
  }

  private stopTimer(c: Call): void {
    if (c.timer !== undefined) this.o.timers.clearTimeout(c.timer);
    c.timer = undefined;
  }

  private timedOut(c: Call, budgetMs: number): void {
    c.timer = undefined;
    if (this.state === 'closed' || this.state === 'down') return;
    if (c.probe) {
      this.controls.delete(c.seq);
      c.reject(new BenchError('TIMEOUT', `no answer to a probe of ${this.o.port}`));
      return;
    }
    this.stats.timeouts++;
    c.waitedMs += budgetMs;
    // A board that has spoken the protocol on this connection and been heard from since the
    // last send is alive: its replies are being lost on the way. (A stream of garbage is not.)
    c.silent = this.heard > c.heardAtSend ? 0 : c.silent + 1;
    const alive = c.silent <= this.o.retries && this.goodLines > 0;
    if (c.attempts < this.o.retries || (alive && c.waitedMs < this.o.deadlineMs)) {
      // Is the board there? A request line damaged on the way in gets no reply at all: ask
      // `LINK?` (answered at once, outside the ordering) so that silence means a silent board.
      if (c.ordered) this.probe();
      c.attempts++;
      this.stats.retries++;
      this.trouble(c);
      if (c.attempts > this.o.retries) {
        c.backoff = Math.min(16, c.backoff * 2);
        if (!c.warned) {
          c.warned = true;
          this.hooks.onTrouble?.(
            `link to ${this.o.port} is noisy: ${c.verb} (seq ${c.seq}) unanswered after ${c.attempts} tries while the board answers; resending with backoff, lines now ≤ ${this.budget.value} bytes, giving up after ${Math.round(this.o.deadlineMs / 1000)} s`,
          );
        }
      }
      this.send(c);
      return;
    }
    const e = alive
      ? new BenchError(
          'TIMEOUT',
          `the board on ${this.o.port} answers, but no clean reply to ${c.verb} came in ${Math.round(c.waitedMs / 1000)} s (${c.attempts + 1} tries; the link deadline): check the cable, or give a longer --link-deadline`,
          { port: this.o.port, verb: c.verb, seq: c.seq, tries: c.attempts + 1 },
        )
      : new BenchError(
          'TIMEOUT',
          `no answer from ${this.o.port} to ${c.verb} after ${c.attempts + 1} tries: is it an rram-bench board, and powered?`,
          { port: this.o.port, verb: c.verb, seq: c.seq, tries: c.attempts + 1 },
        );
    if (!c.ordered) {
      this.controls.delete(c.seq);
      c.reject(e);
      return;
    }
    // The board waits for this seq before any later one: the chain is broken, start a new session.
    for (const f of this.inflight) {
      this.stopTimer(f);
      if (!f.orphan) f.reject(e);
    }
    this.inflight = [];
    this.needsResync = true;
    this.pump();
  }

  /** One `LINK?` at a time, its reply counted as hearing from the board; failures ignored. */
  private probe(): void {
    if (this.probing || this.state !== 'up') return;
    this.probing = true;
    this.control('LINK?', [], {}, true)
      .catch(() => {})
      .finally(() => (this.probing = false));
  }

  private settle(c: Call, result: string | BenchError): void {
    this.stopTimer(c);
    if (c.orphan) return;
    if (typeof result === 'string') c.resolve(result);
    else c.reject(result);
  }

  private closedError(): BenchError {
    return new BenchError('CLOSED', `the serial driver on ${this.o.port} is closed`, {
      port: this.o.port,
    });
  }
}
