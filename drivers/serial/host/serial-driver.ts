/**
 * SerialDriver: the ChipDriver contract over a test board on a serial port, speaking
 * docs/protocol.md v1. Each operation is checked against the limits the board reported in
 * `LIM?` before anything is encoded, split into requests whose replies fit a line (READ in
 * whole rows, FORM and PROG per row, MVM in sub-batches sized from the line limit and the
 * precision), pipelined through the link's window and reassembled. The requests of an
 * operation are made one at a time as the window has room, each sized with the link's line
 * budget of that moment (§5.9): on a noisy link later requests get shorter lines, while those
 * already sent are resent unchanged. Unsubscribing stops issuing
 * requests and sends ABORT for what is already on the wire.
 */
import { Observable, throwError, type Subscriber } from 'rxjs';
import type {
  ChipDriver,
  ChipInfo,
  LinkCounters,
  LinkEvent,
  ConductanceMap,
  FormRequest,
  FormResult,
  MvmRequest,
  MvmResult,
  ProgramEvent,
  ProgramRequest,
  ProgramResult,
  PulseRequest,
  PulseResult,
  ReadRequest,
  ReadoutConfig,
} from '../../driver.ts';
import { BenchError } from '../../driver.ts';
import {
  checkConfigure,
  checkForm,
  checkMvm,
  checkProgram,
  checkPulse,
  checkRead,
} from '../../limits.ts';
import {
  MAX_LINE_BYTES,
  encodeF32,
  formatLineSet,
  fromBase64,
  packBits,
  toBase64,
  unpackBits,
} from '../wire/codec.ts';
import type { CallOptions, LazyRequest } from './link.ts';
import type { LinkStats } from './link-stats.ts';
import { nextTile } from './region-tiles.ts';
import {
  b64,
  chunks,
  formCells,
  mvmChunkVectors,
  mvmVectors,
  progCells,
  readCells,
  stagePieceBytes,
} from './request-sizing.ts';
import type { SerialDriverOptions } from './serial-driver-options.ts';
import { Session } from './session.ts';
import type { Link } from './link.ts';
import { realTimers } from '../transport/timers.ts';
import { confArgs, need, num, parseConf, payload, words } from '../wire/wire-format.ts';

export type { SerialDriverOptions } from './serial-driver-options.ts';

/** Modelled time of one verify or map read (s), as the emulator's timing model. */
const READ_S = 1e-6;

interface Running {
  cancelled: boolean;
  /** Only ever told to error, so its value type does not matter. */
  subscriber: Pick<Subscriber<unknown>, 'error'>;
  owner: object;
}

/** One request of a split operation, and what the operation needs to place its reply. */
interface Part<P> extends Omit<LazyRequest, 'resolve' | 'reject'> {
  part: P;
}

/** What an operation's body gets: its own requests, emission, cancellation state. */
interface Op<T> {
  call(verb: string, args: readonly (string | number)[], o?: CallOptions): Promise<string>;
  /**
   * The requests of a split operation, made lazily: `plan(lineBudget)` gives the next one (or
   * undefined at the end) when the link's window has room for it. Yields each part with its
   * reply, in order.
   */
  parts<P>(plan: (lineBudget: number) => Part<P> | undefined): AsyncGenerator<{
    part: P;
    text: string;
  }>;
  emit(value: T): void;
  cancelled(): boolean;
}

/** Attach a no-op handler so a part that fails while an earlier one is awaited is not "unhandled". */
function quiet<T>(p: Promise<T>): Promise<T> {
  p.catch(() => {});
  return p;
}

/** Issue `plan`'s requests as a lazy source of the link; yield their replies in order. */
async function* parts<P>(
  link: Link,
  owner: object,
  plan: (lineBudget: number) => Part<P> | undefined,
): AsyncGenerator<{ part: P; text: string }> {
  const issued: { part: P; reply: Promise<string> }[] = [];
  let ended = false;
  let failure: { e: unknown } | undefined;
  let wake: (() => void) | undefined;
  const poke = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  link.lazy(
    (lineBudget) => {
      const p = plan(lineBudget);
      if (!p) {
        ended = true;
        poke();
        return undefined;
      }
      let request!: LazyRequest;
      const reply = quiet(
        new Promise<string>((resolve, reject) => {
          request = { verb: p.verb, args: p.args, options: p.options, resolve, reject };
        }),
      );
      issued.push({ part: p.part, reply });
      poke();
      return request;
    },
    (e) => {
      failure = { e };
      poke();
    },
    owner,
  );
  for (let i = 0; ; i++) {
    while (i >= issued.length) {
      if (failure) throw failure.e;
      if (ended) return;
      await new Promise<void>((resolve) => (wake = resolve));
    }
    const { part, reply } = issued[i]!;
    yield { part, text: await reply };
  }
}

export class SerialDriver implements ChipDriver {
  private closed = false;
  private readonly running = new Set<Running>();
  private readonly maxLine: number;
  /** Last snapshot slot used by a split READ (§4 SNAP). */
  private snapSlot = 0;

  private constructor(
    private readonly session: Session,
    private config: ReadoutConfig,
    maxLineBytes: number,
  ) {
    this.maxLine = maxLineBytes;
  }

  /** Open the port, run the handshake (§7) and fetch the readout configuration. */
  static async open(options: SerialDriverOptions): Promise<SerialDriver> {
    const o = options;
    if (typeof o?.path !== 'string' || o.path === '')
      throw new BenchError('INVALID_ARGUMENT', 'path must name a serial port, e.g. /dev/ttyUSB0', {
        field: 'path',
      });
    const int = (field: string, v: number, min: number, max: number) => {
      if (!Number.isInteger(v) || v < min || v > max)
        throw new BenchError(
          'INVALID_ARGUMENT',
          `${field} must be an integer in [${min}, ${max}], got ${v}`,
          { field },
        );
      return v;
    };
    const baudRate = int('baudRate', o.baudRate ?? 921600, 1, 1e9);
    const window = int('window', o.window ?? 8, 1, 8);
    const retries = int('retries', o.retries ?? 5, 0, 100);
    const marginMs = o.timeoutMs ?? 1000;
    const deadlineMs = o.deadlineMs ?? 120_000;
    if (!(deadlineMs > 0))
      throw new BenchError('INVALID_ARGUMENT', `deadlineMs must be > 0, got ${deadlineMs}`, {
        field: 'deadlineMs',
      });
    if (!(marginMs > 0))
      throw new BenchError('INVALID_ARGUMENT', `timeoutMs must be > 0, got ${marginMs}`, {
        field: 'timeoutMs',
      });
    const maxLine = int('maxLineBytes', o.maxLineBytes ?? MAX_LINE_BYTES, 512, MAX_LINE_BYTES);
    let driver: SerialDriver | undefined;
    const session = await Session.open({
      path: o.path,
      baudRate,
      binding: o.binding,
      window,
      retries,
      marginMs,
      deadlineMs,
      timers: o.timers ?? realTimers,
      serialNumber: o.serialNumber,
      reconnectMaxMs: o.reconnect?.maxMs ?? 30000,
      sessionId: o.sessionId,
      firstSeq: int('firstSeq', o.firstSeq ?? 1, 0, 0xffff),
      maxLineBytes: maxLine,
      // After a board reset its readout configuration is back to defaults: put ours back first.
      restore: () => (driver ? [{ verb: 'CONF', args: confArgs(driver.config) }] : []),
    });
    try {
      const config = parseConf(o.path, await session.link.call('CONF?', []));
      driver = new SerialDriver(session, config, maxLine);
      return driver;
    } catch (e) {
      await session.close();
      throw e;
    }
  }

  /** The chip info the board reported at the handshake. */
  get info(): ChipInfo {
    return this.session.info;
  }

  /** Disconnects, reconnects and board resets as they happen. */
  get linkEvents(): Observable<LinkEvent> {
    return this.session.events.asObservable();
  }

  /** Link counters: lines sent, retries, bad lines by kind, timeouts, reconnects. */
  get stats(): LinkStats {
    return this.session.link.stats;
  }

  /** The link counters of the shared convention (drivers/driver.ts), for the run's record. */
  readonly linkCounters = (): LinkCounters => {
    const s = this.session.link.stats;
    const b = s.badLines;
    return {
      replies: s.replies,
      retries: s.retries,
      badLines: b.charset + b.crc + b.syntax + b.long,
      reconnects: s.reconnects,
      rttMs: Math.round(s.rttMs * 1000) / 1000,
      lineBudget: s.lineBudget,
      sent: s.sent,
      timeouts: s.timeouts,
      unmatched: s.unmatched,
      boardResets: s.boardResets,
    };
  };

  /** Port path the board is reached at. */
  get path(): string {
    return this.session.path;
  }

  /** Readout configuration as last confirmed by the board. */
  get readoutConfig(): ReadoutConfig {
    return { ...this.config };
  }

  private get port(): string {
    return this.session.path;
  }

  /** Run `body` as a cancellable operation (see drivers/driver.ts on why Observables). */
  private op<T>(body: (op: Op<T>) => Promise<void>): Observable<T> {
    return new Observable<T>((subscriber) => {
      if (this.closed) {
        subscriber.error(this.closedError());
        return;
      }
      const run: Running = { cancelled: false, subscriber, owner: {} };
      this.running.add(run);
      const link = this.session.link;
      const op: Op<T> = {
        call: (verb, args, o = {}) => link.call(verb, args, { ...o, owner: run.owner }),
        parts: (plan) => parts(link, run.owner, plan),
        emit: (v) => {
          if (!run.cancelled) subscriber.next(v);
        },
        cancelled: () => run.cancelled,
      };
      Promise.resolve()
        .then(() => (run.cancelled ? undefined : body(op)))
        .then(
          () => {
            this.running.delete(run);
            if (!run.cancelled) subscriber.complete();
          },
          (e: unknown) => {
            this.running.delete(run);
            link.cancel(run.owner);
            if (!run.cancelled) subscriber.error(e);
          },
        );
      return () => {
        if (!this.running.delete(run)) return;
        run.cancelled = true;
        // Stop issuing; what is already on the wire is stopped by the board.
        if (link.cancel(run.owner) > 0) link.control('ABORT').catch(() => {});
      };
    });
  }

  identify(): Observable<ChipInfo> {
    return this.op((op) => Promise.resolve(op.emit(structuredClone(this.info))));
  }

  pulse(request: PulseRequest): Observable<PulseResult> {
    return this.op(async (op) => {
      const r = checkPulse(this.info, request);
      const applied = await op.call(
        'PULSE',
        [r.row, r.col, r.polarity, r.amplitudeV, r.widthS, r.gateV, r.count],
        { nonIdempotent: true, execS: r.count * (r.widthS + READ_S) },
      );
      op.emit({ row: r.row, col: r.col, applied: num(this.port, 'PULSE', applied) });
    });
  }

  read(request: ReadRequest): Observable<ConductanceMap> {
    return this.op(async (op) => {
      const average = checkRead(this.info, request);
      const region = { ...request.region };
      const out = new Float32Array(region.rows * region.cols);
      // One chip read of the whole region, at one chip time, however the link splits the
      // reply (§4 SNAP/FETCH): a region whose reply fits one line is a plain READ, a larger one
      // a SNAP of the region and FETCHes of its cells, each sized with the budget of its moment.
      const total = region.rows * region.cols;
      const slot = (this.snapSlot = (this.snapSlot + 1) & 0xffff);
      let next = -1;
      const parts = op.parts<{ offset: number; count: number } | 'snap'>((budget) => {
        const cells = readCells(budget);
        if (next === -1 && total <= cells) {
          next = total;
          return {
            part: { offset: 0, count: total },
            verb: 'READ',
            args: [region.row, region.col, region.rows, region.cols, average],
            options: {
              execS: region.rows * average * READ_S,
              replyBytes: 40 + b64(4 * total),
            },
          };
        }
        if (next === -1) {
          next = 0;
          return {
            part: 'snap',
            verb: 'SNAP',
            args: [slot, region.row, region.col, region.rows, region.cols, average],
            options: { execS: region.rows * average * READ_S, replyBytes: 64 },
          };
        }
        if (next >= total) return undefined;
        const count = Math.min(Math.max(1, cells), total - next);
        const part = { offset: next, count };
        next += count;
        return {
          part,
          verb: 'FETCH',
          args: [slot, part.offset, count],
          options: { replyBytes: 40 + b64(4 * count) },
        };
      });
      let timeS = NaN;
      for await (const { part, text } of parts) {
        if (part === 'snap') {
          const [time, n] = words(this.port, 'SNAP', text, 2) as [string, string];
          timeS = num(this.port, 'SNAP', time);
          if (num(this.port, 'SNAP', n) !== total)
            throw new BenchError(
              'PROTOCOL',
              `board on ${this.port} snapped ${n} cells of a ${total}-cell region`,
            );
        } else if (Number.isNaN(timeS)) {
          const [time, g] = words(this.port, 'READ', text, 2) as [string, string];
          timeS = num(this.port, 'READ', time);
          out.set(need(this.port, 'READ', payload.f32(g, part.count), text), part.offset);
        } else
          out.set(
            need(this.port, 'FETCH', payload.f32(text.trim(), part.count), text),
            part.offset,
          );
        if (op.cancelled()) return;
      }
      op.emit({ region, microS: out, average, timeS });
    });
  }

  form(request: FormRequest): Observable<FormResult> {
    return this.op(async (op) => {
      const r = checkForm(this.info, request);
      const region = { ...r.region };
      const n = region.rows * region.cols;
      const result: FormResult = {
        region,
        formed: new Uint8Array(n),
        pulses: new Uint16Array(n),
        conductanceMicroS: new Float32Array(n),
      };
      const ramp = Math.floor((r.stopV - r.startV) / r.stepV + 1e-9) + 1;
      let next = 0;
      const parts = op.parts((budget) => {
        const t = nextTile(region, next, formCells(budget), 1);
        if (!t) return undefined;
        next = t.offset + t.rows * t.cols;
        return {
          part: t,
          verb: 'FORM',
          args: [t.row, t.col, t.rows, t.cols, r.startV, r.stopV, r.stepV, r.gateV, r.widthS],
          options: {
            nonIdempotent: true,
            execS: t.cols * ramp * (r.widthS + READ_S),
            replyBytes: 40 + b64(Math.ceil(t.cols / 8)) + b64(2 * t.cols) + b64(4 * t.cols),
          },
        };
      });
      for await (const { part: t, text } of parts) {
        const [f, p, g] = words(this.port, 'FORM', text, 3) as [string, string, string];
        const cells = t.rows * t.cols;
        result.formed.set(need(this.port, 'FORM', payload.flags(f, cells), text), t.offset);
        result.pulses.set(need(this.port, 'FORM', payload.u16(p, cells), text), t.offset);
        result.conductanceMicroS.set(
          need(this.port, 'FORM', payload.f32(g, cells), text),
          t.offset,
        );
        if (op.cancelled()) return;
      }
      op.emit(result);
    });
  }

  program(request: ProgramRequest): Observable<ProgramEvent> {
    return this.op(async (op) => {
      const r = checkProgram(this.info, request);
      const region = { ...r.region };
      const n = region.rows * region.cols;
      const result: ProgramResult = {
        region,
        finalMicroS: new Float32Array(n),
        pulses: new Uint16Array(n),
        converged: new Uint8Array(n),
      };
      const lim = this.info.limits;
      const perCellS =
        r.maxIterations * (lim.pulseWidthS.max + READ_S + r.verifyAverage * READ_S) +
        r.verifyAverage * READ_S;
      let next = 0;
      const parts = op.parts((budget) => {
        const t = nextTile(region, next, progCells(budget), 1);
        if (!t) return undefined;
        next = t.offset + t.cols;
        return {
          part: t,
          verb: 'PROG',
          args: [
            t.row,
            t.col,
            t.cols,
            r.toleranceMicroS,
            r.maxIterations,
            r.maxPulsesPerPolarity,
            r.verifyAverage,
            encodeF32(r.targetsMicroS.subarray(t.offset, t.offset + t.cols)),
          ],
          options: {
            nonIdempotent: true,
            execS: t.cols * perCellS,
            replyBytes: 40 + b64(4 * t.cols) + b64(2 * t.cols) + b64(Math.ceil(t.cols / 8)),
          },
        };
      });
      let cellsConverged = 0;
      for await (const { part: t, text } of parts) {
        const [g, p, c] = words(this.port, 'PROG', text, 3) as [string, string, string];
        const converged = need(this.port, 'PROG', payload.flags(c, t.cols), text);
        result.finalMicroS.set(need(this.port, 'PROG', payload.f32(g, t.cols), text), t.offset);
        result.pulses.set(need(this.port, 'PROG', payload.u16(p, t.cols), text), t.offset);
        result.converged.set(converged, t.offset);
        for (const v of converged) cellsConverged += v;
        if (op.cancelled()) return;
        // A row is done when its last segment is.
        if (t.col + t.cols === region.col + region.cols)
          op.emit({
            kind: 'progress',
            rowsDone: t.row - region.row + 1,
            rowsTotal: region.rows,
            cellsConverged,
          });
      }
      op.emit({ kind: 'result', result });
    });
  }

  mvm(request: MvmRequest): Observable<MvmResult> {
    return this.op(async (op) => {
      const { precisionBits: bits, mode, integrationWindowS } = this.config;
      const batch = checkMvm(this.info, request, bits);
      const k = request.rows.length;
      const n = request.cols.length;
      const rows = formatLineSet(request.rows);
      const cols = formatLineSet(request.cols);
      const maxBatch = this.info.limits.maxMvmBatch;
      // The chip runs the batch in chunks that depend on the operation and maxLineBytes only —
      // never on the link — so that chip time, noise draws, energy and latency are the same on
      // any link (§4 STAGE/MVMS/TAKE). A chunk whose request and reply fit one line of the
      // budget of the moment (always, on a clean link) goes as one MVM; on a link whose budget
      // was cut it is staged in pieces, run, and taken in pieces.
      const all = chunks(
        batch,
        mvmChunkVectors(this.maxLine, k, n, bits, rows.length + cols.length + 2, maxBatch),
      );
      const perLine = new Map<number, number>();
      const fitsLine = (budget: number) => {
        let fit = perLine.get(budget);
        if (fit === undefined)
          perLine.set(
            budget,
            (fit = mvmVectors(budget, k, n, bits, rows.length + cols.length + 2, maxBatch)),
          );
        return fit;
      };
      const slot = (this.snapSlot = (this.snapSlot + 1) & 0xffff);
      const execS = (size: number) => size * (2 * integrationWindowS + 64 / this.info.clockHz);
      type MvmPart =
        | { kind: 'mvm'; start: number; size: number }
        | { kind: 'stage' }
        | { kind: 'run'; start: number; size: number }
        | { kind: 'take'; start: number; size: number; offset: number; count: number };
      let ci = 0;
      let phase: 'start' | 'stage' | 'take' = 'start';
      let packed: Uint8Array = new Uint8Array(0);
      let offset = 0;
      let outBytes = 0;
      const parts = op.parts<MvmPart>((budget) => {
        for (;;) {
          const chunk = all[ci];
          if (!chunk) return undefined;
          const [start, size] = chunk;
          if (phase === 'start') {
            packed = packBits(request.inputs.subarray(start * k, (start + size) * k), bits);
            outBytes = Math.ceil((size * n * bits) / 8);
            if (fitsLine(budget) >= size) {
              ci++;
              return {
                part: { kind: 'mvm', start, size },
                verb: 'MVM',
                args: [rows, cols, size, toBase64(packed)],
                options: { execS: execS(size), replyBytes: 80 + b64(outBytes) },
              };
            }
            phase = 'stage';
            offset = 0;
          }
          if (phase === 'stage') {
            if (offset < packed.length) {
              const count = Math.min(stagePieceBytes(budget), packed.length - offset);
              const at = offset;
              offset += count;
              return {
                part: { kind: 'stage' },
                verb: 'STAGE',
                args: [slot, at, toBase64(packed.subarray(at, at + count))],
                options: { replyBytes: 32 },
              };
            }
            phase = 'take';
            offset = 0;
            return {
              part: { kind: 'run', start, size },
              verb: 'MVMS',
              args: [slot, rows, cols, size],
              options: { execS: execS(size), replyBytes: 100 },
            };
          }
          if (offset < outBytes) {
            const count = Math.min(stagePieceBytes(budget), outBytes - offset);
            const at = offset;
            offset += count;
            return {
              part: { kind: 'take', start, size, offset: at, count },
              verb: 'TAKE',
              args: [slot, at, count],
              options: { replyBytes: 40 + b64(count) },
            };
          }
          phase = 'start';
          ci++;
        }
      });
      const values = new Uint8Array(batch * n);
      let energyJ = 0;
      let latencyS = 0;
      let out = new Uint8Array(0);
      const sums = (verb: string, text: string, size: number, w: number) => {
        const got = words(this.port, verb, text, w);
        if (num(this.port, verb, got[0]!) !== size)
          throw new BenchError(
            'PROTOCOL',
            `board on ${this.port} answered an ${verb} of ${size} vectors with ${got[0]}`,
          );
        energyJ += num(this.port, verb, got[1]!);
        latencyS += num(this.port, verb, got[2]!);
        return got;
      };
      for await (const { part, text } of parts) {
        if (part.kind === 'mvm') {
          const v = sums('MVM', text, part.size, 4)[3]!;
          values.set(
            need(this.port, 'MVM', payload.packed(v, bits, part.size * n), text),
            part.start * n,
          );
        } else if (part.kind === 'run') {
          const bytes = num(this.port, 'MVMS', sums('MVMS', text, part.size, 4)[3]!);
          out = new Uint8Array(bytes);
        } else if (part.kind === 'take') {
          const piece = need(this.port, 'TAKE', fromBase64(text.trim()), text);
          if (piece.length !== part.count || part.offset + part.count > out.length)
            throw new BenchError(
              'PROTOCOL',
              `board on ${this.port} answered TAKE of ${part.count} bytes with ${piece.length}`,
            );
          out.set(piece, part.offset);
          if (part.offset + part.count === out.length)
            values.set(
              need(this.port, 'TAKE', unpackBits(out, bits, part.size * n), text),
              part.start * n,
            );
        }
        if (op.cancelled()) return;
      }
      op.emit({ mode, precisionBits: bits, batch, values, energyJ, latencyS });
    });
  }

  configure(config: Partial<ReadoutConfig>): Observable<ReadoutConfig> {
    return this.op(async (op) => {
      // The board derives the integration window from the precision when it is not given; the
      // check here validates everything else (the board checks its own window).
      checkConfigure(this.info, this.config, config, () => this.config.integrationWindowS);
      this.config = parseConf(this.port, await op.call('CONF', confArgs(config)));
      op.emit({ ...this.config });
    });
  }

  readout(): Observable<ReadoutConfig> {
    return this.op(async (op) => {
      this.config = parseConf(this.port, await op.call('CONF?', []));
      op.emit({ ...this.config });
    });
  }

  /**
   * Let chip time pass on the board's own clock (§4 `WAIT`): a real board waits that long, an
   * emulated one on virtual time advances its clock, as in-process.
   */
  wait(seconds: number): Observable<void> {
    if (!(seconds >= 0 && Number.isFinite(seconds)))
      return throwError(
        () =>
          new BenchError(
            'INVALID_ARGUMENT',
            `wait must be a finite number of seconds ≥ 0, got ${seconds}`,
          ),
      );
    return this.op(async (op) => {
      await op.call('WAIT', [seconds], { execS: seconds });
      op.emit(undefined);
    });
  }

  idle(): Observable<void> {
    return new Observable<void>((subscriber) => {
      if (this.closed) {
        // Closing left the chip idle already.
        subscriber.next();
        subscriber.complete();
        return;
      }
      this.stopAll();
      this.session.link.control('IDLE').then(
        () => {
          subscriber.next();
          subscriber.complete();
        },
        (e: unknown) => subscriber.error(e),
      );
    });
  }

  /** Fail every operation in progress with ABORTED and withdraw its requests. */
  private stopAll(): void {
    const e = new BenchError('ABORTED', 'operation stopped: the chip was set idle');
    for (const run of [...this.running]) {
      run.cancelled = true;
      this.running.delete(run);
      this.session.link.cancel(run.owner);
      run.subscriber.error(e);
    }
    this.session.link.failAll(e);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.stopAll();
    this.closed = true;
    try {
      await this.session.link.control('IDLE');
    } catch {
      // Best effort: a board we cannot reach grounds its lines when the host goes (§6.3).
    }
    await this.session.close();
  }

  private closedError(): BenchError {
    return new BenchError('CLOSED', `the serial driver on ${this.port} is closed`, {
      port: this.port,
    });
  }
}
