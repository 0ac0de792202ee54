/**
 * Seeded link-fault injection: a Transform that can sit on either direction of a link and
 * corrupts bytes, drops and duplicates lines, delays them, and announces an unplug after a
 * number of bytes. Equal options and seed give equal faults on equal traffic, so a faulty run is
 * reproducible; the tests compare it with a fault-free run of the same seed.
 *
 * A line is everything up to and including `\n` (both directions end lines with it). A
 * line's fate (drop, duplicate, delay) is drawn when its first byte passes, so bytes stream
 * through without waiting for the line's end; only a duplicated line is kept whole to be
 * repeated. Delays never reorder lines — a serial wire cannot.
 */
import { Duplex, Transform, type TransformCallback } from 'node:stream';
import { BenchError } from '../../driver.ts';
import { Rng } from '../../emulator/rng.ts';

/** Faults on one direction of a link. All default to none. */
export interface FaultOptions {
  /** Seed of the fault sequence (integer). Default 1. */
  seed?: number;
  /** Probability per byte of flipping one random bit of it, in [0, 1]. Default 0. */
  corruptRate?: number;
  /** Probability per line of losing the whole line, in [0, 1]. Default 0. */
  dropLineRate?: number;
  /** Probability per line of delivering it twice, in [0, 1]. Default 0. */
  duplicateLineRate?: number;
  /** Delay added to every line (ms, ≥ 0). Default 0. */
  delayMs?: number;
  /** Extra per-line delay, uniform in [0, jitterMs] (ms, ≥ 0). Default 0. */
  jitterMs?: number;
  /**
   * Unplug the link once this many bytes have passed in this direction (integer ≥ 1): the
   * stream emits `unplug` once and discards bytes until `replug()`. The transport does the
   * rest (closes the far end, brings it back). Default: never.
   */
  unplugAfterBytes?: number;
  /** How long an unplugged link stays away before the transport replugs it (ms, ≥ 0). Default 500. */
  replugAfterMs?: number;
}

/** Faults on both directions of a link, named from the board's side. */
export interface LinkFaults {
  /** Host → board. */
  toBoard?: FaultOptions;
  /** Board → host. */
  toHost?: FaultOptions;
}

/** FaultOptions with every default filled in. */
export type ResolvedFaults = Required<Omit<FaultOptions, 'unplugAfterBytes'>> & {
  unplugAfterBytes: number | undefined;
};

const DEFAULTS = {
  seed: 1,
  corruptRate: 0,
  dropLineRate: 0,
  duplicateLineRate: 0,
  delayMs: 0,
  jitterMs: 0,
  replugAfterMs: 500,
} as const;

function bad(field: string, message: string, value: unknown): never {
  throw new BenchError(
    'INVALID_ARGUMENT',
    `fault option ${field} ${message}, got ${String(value)}`,
    {
      field,
      value,
    },
  );
}

/** Validate fault options and fill in defaults. Throws INVALID_ARGUMENT naming the field. */
export function checkFaultOptions(options: FaultOptions = {}): ResolvedFaults {
  if (typeof options !== 'object' || options === null)
    bad('(options)', 'must be an object', options);
  const known = new Set([...Object.keys(DEFAULTS), 'unplugAfterBytes']);
  for (const key of Object.keys(options))
    if (!known.has(key)) bad(key, `is not a fault option (known: ${[...known].join(', ')})`, key);
  const o = { ...DEFAULTS, ...options } as FaultOptions & typeof DEFAULTS;
  const number = (field: keyof FaultOptions, v: unknown): number => {
    if (typeof v !== 'number' || !Number.isFinite(v)) bad(field, 'must be a finite number', v);
    return v;
  };
  if (!Number.isInteger(number('seed', o.seed))) bad('seed', 'must be an integer', o.seed);
  for (const f of ['corruptRate', 'dropLineRate', 'duplicateLineRate'] as const) {
    const v = number(f, o[f]);
    if (v < 0 || v > 1) bad(f, 'must be a probability in [0, 1]', v);
  }
  for (const f of ['delayMs', 'jitterMs', 'replugAfterMs'] as const)
    if (number(f, o[f]) < 0) bad(f, 'must be ≥ 0 ms', o[f]);
  if (o.unplugAfterBytes !== undefined) {
    const v = number('unplugAfterBytes', o.unplugAfterBytes);
    if (!Number.isInteger(v) || v < 1) bad('unplugAfterBytes', 'must be an integer ≥ 1', v);
  }
  return { ...o, unplugAfterBytes: o.unplugAfterBytes };
}

/** What a FaultStream did. */
export interface FaultCounters {
  bytesIn: number;
  bytesOut: number;
  /** Lines that started passing (a line split by the unplug counts once). */
  lines: number;
  /** Bytes with a flipped bit. */
  corrupted: number;
  dropped: number;
  duplicated: number;
  /** Bytes discarded while unplugged. */
  lostUnplugged: number;
}

const LF = 0x0a;

/**
 * The fault Transform. Events: `unplug` (once, when `unplugAfterBytes` is reached).
 */
export class FaultStream extends Transform {
  readonly options: ResolvedFaults;
  readonly counters: FaultCounters = {
    bytesIn: 0,
    bytesOut: 0,
    lines: 0,
    corrupted: 0,
    dropped: 0,
    duplicated: 0,
    lostUnplugged: 0,
  };
  private readonly rng: Rng;
  /** Clean bytes to pass before the next corrupted one. */
  private gap: number;
  private atLineStart = true;
  private dropLine = false;
  private copy: Buffer[] | undefined;
  private releaseAt = 0;
  private unplugged = false;
  private unplugFired = false;
  /** Bytes that passed while plugged in (for `unplugAfterBytes`). */
  private passed = 0;
  private readonly delayed: { at: number; data: Buffer }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushed: (() => void) | undefined;

  constructor(options: FaultOptions = {}) {
    super();
    this.options = checkFaultOptions(options);
    this.rng = new Rng(this.options.seed);
    this.gap = this.nextGap();
  }

  /** True between the unplug and `replug()`. */
  get isUnplugged(): boolean {
    return this.unplugged;
  }

  /** Let bytes through again after an unplug; the next byte starts a new line. */
  replug(): void {
    this.unplugged = false;
    this.atLineStart = true;
    this.copy = undefined;
  }

  /** Geometric gap to the next corrupted byte: exact per-byte Bernoulli at any rate, cheaply. */
  private nextGap(): number {
    const p = this.options.corruptRate;
    if (p <= 0) return Infinity;
    if (p >= 1) return 0;
    return Math.floor(Math.log(1 - this.rng.uniform()) / Math.log(1 - p));
  }

  private corrupt(bytes: Buffer): Buffer {
    if (this.gap >= bytes.length) {
      this.gap -= bytes.length;
      return bytes;
    }
    const out = Buffer.from(bytes); // never write into the caller's buffer
    let i = this.gap;
    while (i < out.length) {
      out[i]! ^= 1 << (this.rng.nextU32() & 7);
      this.counters.corrupted++;
      i += 1 + this.nextGap();
    }
    this.gap = i - out.length;
    return out;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.counters.bytesIn += chunk.length;
    const limit = this.options.unplugAfterBytes;
    let start = 0;
    while (start < chunk.length) {
      if (this.unplugged) {
        this.counters.lostUnplugged += chunk.length - start;
        break;
      }
      const nl = chunk.indexOf(LF, start);
      let end = nl < 0 ? chunk.length : nl + 1;
      // Stop at the unplug byte exactly: the rest of the chunk is lost with the cable.
      if (limit !== undefined && !this.unplugFired)
        end = Math.min(end, start + limit - this.passed);
      this.segment(chunk.subarray(start, end), nl >= 0 && end === nl + 1);
      this.passed += end - start;
      start = end;
      if (limit !== undefined && !this.unplugFired && this.passed >= limit) {
        this.unplugFired = true;
        this.unplugged = true;
        this.emit('unplug');
      }
    }
    done();
  }

  /** Part of one line; `endsLine` when it holds the line's `\n`. */
  private segment(bytes: Buffer, endsLine: boolean): void {
    if (this.atLineStart) {
      this.atLineStart = false;
      this.counters.lines++;
      const o = this.options;
      // Both draws always happen, so one fault's rate does not shift the other's sequence.
      const u1 = this.rng.uniform();
      const u2 = this.rng.uniform();
      this.dropLine = u1 < o.dropLineRate;
      this.copy = !this.dropLine && u2 < o.duplicateLineRate ? [] : undefined;
      if (this.dropLine) this.counters.dropped++;
      if (this.copy) this.counters.duplicated++;
      if (o.delayMs > 0 || o.jitterMs > 0)
        this.releaseAt = Math.max(
          this.releaseAt,
          performance.now() + o.delayMs + o.jitterMs * this.rng.uniform(),
        );
    }
    if (!this.dropLine) {
      this.out(this.corrupt(bytes));
      this.copy?.push(bytes);
    }
    if (endsLine) {
      this.atLineStart = true;
      if (this.copy) this.out(this.corrupt(Buffer.concat(this.copy)));
      this.copy = undefined;
    }
  }

  private out(bytes: Buffer): void {
    if (bytes.length === 0) return;
    const o = this.options;
    if (o.delayMs === 0 && o.jitterMs === 0) {
      this.counters.bytesOut += bytes.length;
      this.push(bytes);
      return;
    }
    this.delayed.push({ at: this.releaseAt, data: bytes });
    this.schedule();
  }

  private schedule(): void {
    if (this.timer) return;
    const head = this.delayed[0];
    if (!head) {
      this.flushed?.();
      return;
    }
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        const now = performance.now();
        while (this.delayed.length && this.delayed[0]!.at <= now + 0.5) {
          const { data } = this.delayed.shift()!;
          this.counters.bytesOut += data.length;
          this.push(data);
        }
        this.schedule();
      },
      Math.max(0, head.at - performance.now()),
    );
  }

  override _flush(done: TransformCallback): void {
    if (!this.delayed.length) return done();
    this.flushed = () => done();
  }

  override _destroy(err: Error | null, done: (e: Error | null) => void): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.delayed.length = 0;
    done(err);
  }
}

/** A Duplex seen through fault streams, and the fault streams themselves. */
export interface FaultedDuplex {
  stream: Duplex;
  /** Faults on what is read from the inner stream. */
  rx: FaultStream | undefined;
  /** Faults on what is written to the inner stream. */
  tx: FaultStream | undefined;
}

/** Options, or a FaultStream to reuse (its seeded sequence and unplug state carry on). */
export type FaultSpec = FaultOptions | FaultStream;

function faultStream(spec: FaultSpec | undefined): FaultStream | undefined {
  if (spec === undefined) return undefined;
  return spec instanceof FaultStream ? spec : new FaultStream(spec);
}

/**
 * Wrap `inner` so that what is read from it passes `rx` faults and what is written to it passes
 * `tx` faults. Destroying the wrapper destroys `inner`; `inner` ending or closing ends it. Fault
 * streams passed in are not destroyed with it, so they can be spliced onto the next stream
 * after a replug.
 */
export function spliceFaults(
  inner: Duplex,
  faults: { rx?: FaultSpec; tx?: FaultSpec },
): FaultedDuplex {
  const rx = faultStream(faults.rx);
  const tx = faultStream(faults.tx);
  const toInner = (b: Buffer) => {
    if (!inner.destroyed && !inner.writableEnded) inner.write(b);
  };
  const deliver = (b: Buffer) => {
    if (!outer.destroyed) outer.push(b);
  };
  const intoRx = (b: Buffer) => rx!.write(b);
  const unhook = () => {
    tx?.off('data', toInner);
    rx?.off('data', deliver);
    inner.off('data', rx ? intoRx : deliver);
  };
  const outer: Duplex = new Duplex({
    read() {
      // Pushed as it arrives.
    },
    write(chunk: Buffer, _enc, done) {
      if (inner.destroyed) return done();
      if (tx) tx.write(chunk, () => done());
      else inner.write(chunk, () => done());
    },
    destroy(err, done) {
      unhook();
      if (!(faults.rx instanceof FaultStream)) rx?.destroy();
      if (!(faults.tx instanceof FaultStream)) tx?.destroy();
      if (!inner.destroyed) inner.destroy();
      done(err);
    },
  });
  tx?.on('data', toInner);
  if (rx) {
    inner.on('data', intoRx);
    rx.on('data', deliver);
  } else inner.on('data', deliver);
  inner.once('end', () => {
    if (!outer.destroyed) outer.push(null);
  });
  inner.once('close', () => {
    if (!outer.destroyed) outer.destroy();
  });
  inner.on('error', (e) => {
    if (!outer.destroyed) outer.destroy(e);
  });
  return { stream: outer, rx, tx };
}
