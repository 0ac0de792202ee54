/**
 * EmulatorDriver: the ChipDriver contract served in process by the emulated macro. Every request
 * is checked against the profile's limits first (a refused command changes nothing); long
 * operations yield to the event loop between rows or chunks so that unsubscribing, `idle()` or
 * Ctrl-C stop them promptly and leave the chip idle.
 */
import { Observable, map, throwError, timer, type Subscriber } from 'rxjs';
import type {
  ChipDriver,
  ChipInfo,
  ConductanceMap,
  FormRequest,
  FormResult,
  MvmRequest,
  MvmResult,
  ProgramEvent,
  ProgramRequest,
  PulseRequest,
  PulseResult,
  ReadRequest,
  ReadoutConfig,
} from '../driver.ts';
import { BenchError } from '../driver.ts';
import {
  checkConfigure,
  checkForm,
  checkMvm,
  checkProgram,
  checkPulse,
  checkRead,
  MAX_PULSE_COUNT,
} from '../limits.ts';
import { ManualClock, realClock, type Clock } from './clock.ts';
import { fastKernel, referenceKernel, type MatmulKernel } from './kernel.ts';
import { Macro, type MacroState } from './macro.ts';
import { loadProfile, type Profile } from './profile.ts';
import { loadState, saveState } from './state-file.ts';

/** Version reported as the emulated board's firmware. */
export const EMULATOR_FIRMWARE_VERSION = '0.1.0';
/** Wire protocol version the emulated board speaks (docs/protocol.md). */
export const PROTOCOL_VERSION = 1;
/** Most MVM vectors computed between two yields to the event loop. */
const MVM_CHUNK = 1024;
/** Modelled time of one (row-parallel) verify or map read (s), for the virtual clock. */
const READ_TIME_S = 1e-6;
/** Modelled dead time around each write pulse (s), for the virtual clock. */
const PULSE_OVERHEAD_S = 0.1e-6;

/** Options of an emulated chip. */
export interface EmulatorOptions {
  /** Profile, or its name or path. Default `vlsi19-hfo2-256`. */
  profile?: Profile | string;
  /** Seed of all the chip's randomness. Default 1. */
  seed?: number;
  /**
   * Time source. `'wall'` (default): wall time, so relaxation goes on between runs as on a real
   * chip. `'virtual'`: chip time starts at 0 and advances only by the modelled duration of each
   * operation — runs are then reproducible to the bit for a seed. Or any Clock (tests).
   */
  clock?: Clock | 'wall' | 'virtual';
  /** State file: loaded when it exists, written on close. */
  chipState?: string;
  /** Matrix kernel. Default: the fastest available. */
  kernel?: MatmulKernel | 'reference';
}

/** The identity and limits of an emulated chip. */
export function emulatedChipInfo(p: Profile, seed: number): ChipInfo {
  return {
    model: p.model,
    serial: `EMU-${(seed >>> 0).toString(16).padStart(8, '0')}`,
    firmwareVersion: EMULATOR_FIRMWARE_VERSION,
    protocolVersion: PROTOCOL_VERSION,
    rows: p.rows,
    cols: p.cols,
    readoutModes: ['COUNT', 'TTFS'],
    precisionBits: { min: 1, max: 8 },
    clockHz: p.clockHz,
    conductanceWindowMicroS: { min: p.conductance.gMinMicroS, max: p.conductance.gMaxMicroS },
    // The PULSE count limit is rram-bench's own (limits.ts); reported so that LIM? has it (§4).
    limits: { ...structuredClone(p.limits), maxPulseCount: MAX_PULSE_COUNT },
    emulated: true,
  };
}

interface Running {
  cancelled: boolean;
  subscriber: Subscriber<unknown>;
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

export class EmulatorDriver implements ChipDriver {
  readonly info: ChipInfo;
  private closed = false;
  private readonly running = new Set<Running>();
  /** True while no operation is in progress and all lines are grounded. */
  get isIdle(): boolean {
    return this.running.size === 0;
  }

  private constructor(
    readonly macro: Macro,
    private readonly chipState: string | undefined,
    private readonly virtualClock: ManualClock | undefined,
  ) {
    this.info = emulatedChipInfo(macro.profile, macro.seed);
  }

  /** Advance a virtual clock by the modelled duration of an operation. */
  private spend(seconds: number): void {
    this.virtualClock?.advance(seconds);
  }

  /** Create an emulated chip, restoring it from `chipState` when that file exists. */
  static async create(options: EmulatorOptions = {}): Promise<EmulatorDriver> {
    const profile =
      typeof options.profile === 'object'
        ? options.profile
        : loadProfile(options.profile ?? 'vlsi19-hfo2-256');
    const kernel =
      options.kernel === 'reference' ? referenceKernel : (options.kernel ?? (await fastKernel()));
    const virtualClock = options.clock === 'virtual' ? new ManualClock(0) : undefined;
    const given = options.clock;
    const clock: Clock = virtualClock ?? (typeof given === 'object' ? given : realClock);
    const saved = options.chipState
      ? (loadState(options.chipState) as MacroState | undefined)
      : undefined;
    if (saved) {
      if (saved.model !== profile.model || saved.profileName !== profile.name)
        throw new BenchError(
          'STATE_INVALID',
          `${options.chipState} holds a ${saved.model} chip with profile ${saved.profileName}, not ${profile.model} with profile ${profile.name}`,
          { path: options.chipState, model: saved.model, profile: saved.profileName },
        );
    }
    const seed = saved?.seed ?? options.seed ?? 1;
    if (!Number.isInteger(seed))
      throw new BenchError('INVALID_ARGUMENT', `seed must be an integer, got ${seed}`);
    let macro: Macro;
    try {
      macro = new Macro(profile, seed, clock, kernel, saved);
    } catch (e) {
      if (!saved) throw e;
      throw new BenchError(
        'STATE_INVALID',
        `${options.chipState}: cannot restore chip: ${(e as Error).message}`,
        {
          path: options.chipState,
        },
      );
    }
    return new EmulatorDriver(macro, options.chipState, virtualClock);
  }

  /** Run `work` asynchronously as a cancellable operation. */
  private task<T>(
    work: (emit: (v: T) => void, cancelled: () => boolean) => Promise<void> | void,
  ): Observable<T> {
    return new Observable<T>((subscriber) => {
      if (this.closed) {
        subscriber.error(new BenchError('CLOSED', 'the emulated chip is closed'));
        return;
      }
      const run: Running = { cancelled: false, subscriber: subscriber };
      this.running.add(run);
      const finish = () => this.running.delete(run);
      setImmediate(() => {
        if (run.cancelled) return finish();
        Promise.resolve()
          .then(() =>
            work(
              (v) => {
                if (!run.cancelled) subscriber.next(v);
              },
              () => run.cancelled,
            ),
          )
          .then(
            () => {
              finish();
              if (!run.cancelled) subscriber.complete();
            },
            (e: unknown) => {
              finish();
              if (!run.cancelled) subscriber.error(e);
            },
          );
      });
      return () => {
        run.cancelled = true;
        finish();
      };
    });
  }

  identify(): Observable<ChipInfo> {
    return this.task((emit) => emit(structuredClone(this.info)));
  }

  form(request: FormRequest): Observable<FormResult> {
    return this.task(async (emit, cancelled) => {
      const req = checkForm(this.info, request);
      const { region } = req;
      const n = region.rows * region.cols;
      const result: FormResult = {
        region: { ...region },
        formed: new Uint8Array(n),
        pulses: new Uint16Array(n),
        conductanceMicroS: new Float32Array(n),
      };
      const cells = this.macro.cells;
      for (let r = 0; r < region.rows; r++) {
        for (let c = 0; c < region.cols; c++) {
          const i = (region.row + r) * this.info.cols + region.col + c;
          const k = r * region.cols + c;
          let pulses = 0;
          for (let v = req.startV; !cells.isFormed(i) && v <= req.stopV + 1e-9; v += req.stepV) {
            cells.formPulse(i, Math.min(v, req.stopV), req.gateV, req.widthS);
            this.spend(req.widthS + READ_TIME_S);
            pulses++;
          }
          result.formed[k] = cells.isFormed(i) ? 1 : 0;
          result.pulses[k] = pulses;
          result.conductanceMicroS[k] = cells.read(i, 1);
        }
        await tick();
        if (cancelled()) return;
      }
      emit(result);
    });
  }

  pulse(request: PulseRequest): Observable<PulseResult> {
    return this.task((emit) => {
      const req = checkPulse(this.info, request);
      const i = req.row * this.info.cols + req.col;
      let applied = 0;
      for (let p = 0; p < req.count; p++) {
        if (this.macro.cells.pulse(i, req.polarity, req.amplitudeV, req.widthS, req.gateV))
          applied++;
        this.spend(req.widthS + PULSE_OVERHEAD_S);
      }
      emit({ row: req.row, col: req.col, applied });
    });
  }

  read(request: ReadRequest): Observable<ConductanceMap> {
    return this.task((emit) => {
      const average = checkRead(this.info, request);
      const { region } = request;
      const out = new Float32Array(region.rows * region.cols);
      for (let r = 0; r < region.rows; r++)
        for (let c = 0; c < region.cols; c++)
          out[r * region.cols + c] = this.macro.cells.read(
            (region.row + r) * this.info.cols + region.col + c,
            average,
          );
      const timeS = this.macro.clock.now();
      this.spend(region.rows * average * READ_TIME_S);
      emit({ region: { ...region }, microS: out, average, timeS });
    });
  }

  program(request: ProgramRequest): Observable<ProgramEvent> {
    return this.task(async (emit, cancelled) => {
      const req = checkProgram(this.info, request);
      const { region } = req;
      const n = region.rows * region.cols;
      const result = {
        region: { ...region },
        finalMicroS: new Float32Array(n),
        pulses: new Uint16Array(n),
        converged: new Uint8Array(n),
      };
      let cellsConverged = 0;
      for (let r = 0; r < region.rows; r++) {
        for (let c = 0; c < region.cols; c++) {
          const k = r * region.cols + c;
          const o = this.macro.cells.program(
            (region.row + r) * this.info.cols + region.col + c,
            req.targetsMicroS[k]!,
            req.toleranceMicroS,
            req.maxIterations,
            req.maxPulsesPerPolarity,
            req.verifyAverage,
          );
          // Each pulse is followed by a verify read; one more read before the first pulse.
          this.spend(
            req.verifyAverage * READ_TIME_S +
              o.pulses *
                (this.macro.profile.pulse.referenceWidthS +
                  PULSE_OVERHEAD_S +
                  req.verifyAverage * READ_TIME_S),
          );
          result.finalMicroS[k] = o.finalMicroS;
          result.pulses[k] = o.pulses;
          result.converged[k] = o.converged ? 1 : 0;
          if (o.converged) cellsConverged++;
        }
        emit({ kind: 'progress', rowsDone: r + 1, rowsTotal: region.rows, cellsConverged });
        await tick();
        if (cancelled()) return;
      }
      emit({ kind: 'result', result });
    });
  }

  mvm(request: MvmRequest): Observable<MvmResult> {
    return this.task(async (emit, cancelled) => {
      const batch = checkMvm(this.info, request, this.macro.config.precisionBits);
      const k = request.rows.length;
      const n = request.cols.length;
      const values = new Uint8Array(batch * n);
      let energyJ = 0;
      let latencyS = 0;
      for (let start = 0; start < batch; start += MVM_CHUNK) {
        const size = Math.min(MVM_CHUNK, batch - start);
        const part = this.macro.mvm(
          request.rows,
          request.cols,
          request.inputs.subarray(start * k, (start + size) * k),
          size,
        );
        values.set(part.values, start * n);
        this.spend(part.latencyS);
        energyJ += part.energyJ;
        latencyS += part.latencyS;
        if (start + size < batch) {
          await tick();
          if (cancelled()) return;
        }
      }
      const { mode, precisionBits } = this.macro.config;
      emit({ mode, precisionBits, batch, values, energyJ, latencyS });
    });
  }

  configure(config: Partial<ReadoutConfig>): Observable<ReadoutConfig> {
    return this.task((emit) => {
      this.macro.config = checkConfigure(this.info, this.macro.config, config, (b) =>
        this.macro.windowFor(b),
      );
      emit({ ...this.macro.config });
    });
  }

  readout(): Observable<ReadoutConfig> {
    return this.task((emit) => emit({ ...this.macro.config }));
  }

  wait(seconds: number): Observable<void> {
    if (!(seconds >= 0 && Number.isFinite(seconds)))
      return throwError(
        () =>
          new BenchError(
            'INVALID_ARGUMENT',
            `wait must be a finite number of seconds ≥ 0, got ${seconds}`,
          ),
      );
    if (!this.virtualClock) return timer(seconds * 1000).pipe(map(() => undefined));
    return this.task((emit) => {
      this.spend(seconds);
      emit();
    });
  }

  idle(): Observable<void> {
    return new Observable<void>((subscriber) => {
      this.stopAll();
      subscriber.next();
      subscriber.complete();
    });
  }

  /** Cancel every operation in progress; their subscribers receive ABORTED. */
  private stopAll(): void {
    for (const run of [...this.running]) {
      run.cancelled = true;
      this.running.delete(run);
      run.subscriber.error(new BenchError('ABORTED', 'operation stopped: the chip was set idle'));
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.stopAll();
    this.closed = true;
    try {
      if (this.chipState) saveState(this.chipState, this.macro.toState());
    } finally {
      this.macro.dispose();
    }
    await Promise.resolve();
  }

  /** Save the chip state now (also done on close when a state file was given). */
  save(path = this.chipState): void {
    if (!path) throw new BenchError('INVALID_ARGUMENT', 'no chip state file given');
    saveState(path, this.macro.toState());
  }
}
