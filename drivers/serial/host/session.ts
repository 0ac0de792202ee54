/**
 * A host session with one board (§5.5–§5.7, §7): opens the port, runs the handshake, and keeps
 * the link alive — on loss of the port it reconnects with backoff (by path, or by the USB serial
 * number if the board re-enumerated elsewhere), repeats the handshake and SESS with the same id,
 * and lets the link resend what was in flight; a changed boot id means the board reset.
 */
import { randomBytes } from 'node:crypto';
import type { Binding } from '../transport/binding.ts';
import type { ChipInfo, LinkEvent } from '../../driver.ts';
import { Subject } from 'rxjs';
import { BenchError, isBenchError } from '../../driver.ts';
import { withBackoff } from './backoff.ts';
import { handshake } from './handshake.ts';
import { Link } from './link.ts';
import {
  findPort,
  openConnection,
  serialNumberOf,
  type Connection,
} from '../transport/port-connection.ts';
import type { Timers } from '../transport/timers.ts';

/** How a session reaches and keeps its board. */
export interface SessionOptions {
  path: string;
  baudRate: number;
  binding: Binding | undefined;
  window: number;
  retries: number;
  marginMs: number;
  /** How long a request may go unanswered while the board is heard from (ms). */
  deadlineMs: number;
  timers: Timers;
  serialNumber: string | undefined;
  reconnectMaxMs: number;
  sessionId: string | undefined;
  firstSeq: number;
  /** Longest line either way (bytes): the ceiling of the link's line budget (§5.9). */
  maxLineBytes: number;
  /** Requests that rebuild host-side board state after a reset (the readout configuration). */
  restore: () => { verb: string; args: string[] }[];
}

export class Session {
  readonly link: Link;
  info!: ChipInfo;
  bootId = '';
  /** Errors drained at the last handshake. */
  drained: string[] = [];
  private conn: Connection | undefined;
  private sessionId: string;
  private serialNumber: string | undefined;
  private recovering = false;
  private closed = false;
  /** Disconnects, reconnects and board resets, as they happen. */
  readonly events = new Subject<LinkEvent>();

  private constructor(private readonly o: SessionOptions) {
    this.sessionId = o.sessionId ?? newSessionId();
    this.serialNumber = o.serialNumber;
    this.link = new Link(
      {
        port: o.path,
        baudRate: o.baudRate,
        window: o.window,
        retries: o.retries,
        marginMs: o.marginMs,
        timers: o.timers,
        maxLineBytes: o.maxLineBytes,
        deadlineMs: o.deadlineMs,
      },
      {
        onBoot: (id) => this.onBoot(id),
        resync: () => this.resync(),
        onTrouble: (message) => this.events.next({ kind: 'degraded', message, port: this.path }),
      },
    );
  }

  /** Open the port and run the handshake; throws IO, TIMEOUT or PROTOCOL BenchErrors. */
  static async open(o: SessionOptions): Promise<Session> {
    const s = new Session(o);
    s.link.startSession(o.firstSeq);
    try {
      const h = await s.connect(o.path);
      s.info = h.info;
      s.bootId = h.bootId;
      s.link.startSession(h.nextSeq);
      s.link.resume(false, h.nextSeq);
    } catch (e) {
      await s.close();
      throw e;
    }
    s.serialNumber ??= await serialNumberOf(o.path, o.binding);
    return s;
  }

  /** Path the board is reached at (it may move on re-enumeration). */
  get path(): string {
    return this.conn?.path ?? this.o.path;
  }

  private async connect(path: string) {
    const conn = await openConnection({
      path,
      baudRate: this.o.baudRate,
      binding: this.o.binding,
      onLine: (line) => this.link.onLine(line),
      onLost: (reason) => this.onLost(reason),
      timers: this.o.timers,
    });
    this.conn = conn;
    this.link.attach(conn);
    try {
      // §7.1: end any partial line the board holds.
      await conn.write('\n');
      const h = await handshake(this.link, path, this.sessionId, this.link.firstUnsettledSeq);
      this.drained = h.errors;
      this.link.stats.boardErrors.push(...h.errors);
      return h;
    } catch (e) {
      this.conn = undefined;
      this.link.detach();
      await conn.close();
      throw e;
    }
  }

  private onLost(_reason: Error): void {
    if (this.closed) return;
    this.link.detach();
    this.conn = undefined;
    // During open or a recovery the pending handshake fails with DISCONNECTED and is retried there.
    if (this.recovering || !this.bootId) return;
    this.events.next({
      kind: 'disconnected',
      message: `lost ${this.o.path} (${_reason.message}); reconnecting`,
      port: this.o.path,
    });
    void this.recover(true);
  }

  private onBoot(bootId: string): void {
    if (this.closed || this.recovering || !this.bootId || bootId === this.bootId) return;
    // The board restarted under us: same port, new boot. Handshake again, then settle (§5.7).
    this.link.detach();
    void this.recover(false);
  }

  private async recover(reopen: boolean): Promise<void> {
    this.recovering = true;
    const old = this.conn;
    try {
      const h = await withBackoff(
        async () => {
          if (reopen || !old) {
            const path = await findPort(this.o.path, this.serialNumber, this.o.binding);
            return this.connect(path);
          }
          this.link.attach(old);
          return handshake(this.link, old.path, this.sessionId, this.link.firstUnsettledSeq);
        },
        {
          timers: this.o.timers,
          maxMs: this.o.reconnectMaxMs,
          retryable: (e) => retryable(e) && !this.closed,
        },
        () => this.closed,
      );
      if (h.info.serial !== this.info.serial)
        throw new BenchError(
          'DISCONNECTED',
          `the board at ${this.path} is now chip ${h.info.serial}, not ${this.info.serial}: not resuming`,
          { port: this.path },
        );
      const reset = h.bootId !== this.bootId;
      this.bootId = h.bootId;
      if (reset) this.link.stats.boardResets++;
      this.link.stats.reconnects++;
      this.events.next({
        kind: reset ? 'board-reset' : 'reconnected',
        message: reset
          ? `${this.path}: the board restarted (boot ${h.bootId}); in-flight writes failed, others resent`
          : `${this.path}: link back, session resumed`,
        port: this.path,
      });
      this.recovering = false;
      this.link.resume(reset, h.nextSeq, reset ? this.o.restore() : []);
    } catch (e) {
      this.recovering = false;
      if (this.closed) return;
      this.link.fail(
        isBenchError(e, 'DISCONNECTED') || isBenchError(e, 'PROTOCOL')
          ? e
          : new BenchError(
              'DISCONNECTED',
              `lost ${this.o.path} and could not reconnect within ${this.o.reconnectMaxMs / 1000} s: ${(e as Error).message}`,
              {
                port: this.o.path,
              },
            ),
      );
    }
  }

  /** A request failed for good: open a new session so the board stops waiting for its seq. */
  private async resync(): Promise<void> {
    this.sessionId = newSessionId();
    const sess = (
      await this.link.control('SESS', [this.sessionId, this.link.firstUnsettledSeq])
    ).split(' ');
    this.bootId = sess[0] ?? this.bootId;
    this.link.startSession(Number(sess[1]));
  }

  /** Release the port (the caller sends IDLE first). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.events.complete();
    this.link.close();
    const conn = this.conn;
    this.conn = undefined;
    // What is still queued gets its wire time and the margin to go out; a stuck port closes anyway.
    const wireMs = conn ? (conn.queuedBytes * 10 * 1000) / this.o.baudRate : 0;
    await conn?.close(this.o.marginMs + wireMs);
  }
}

function retryable(e: unknown): boolean {
  return isBenchError(e, 'IO') || isBenchError(e, 'TIMEOUT') || isBenchError(e, 'DISCONNECTED');
}

function newSessionId(): string {
  return randomBytes(4).toString('hex').toUpperCase();
}
