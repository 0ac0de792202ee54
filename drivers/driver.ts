/**
 * The ChipDriver contract: how rram-bench reaches a chip, whatever sits in between (an
 * in-process emulator, a test board on a serial port). Types and the one error class only;
 * implementations live beside this file and `src/` reaches them through `drivers/factory.ts`.
 *
 * Units: volts (V), seconds (s), conductance in microsiemens (µS, named `…MicroS`), energy in
 * joules (J). Conductance arrays are row-major over the request's region.
 *
 * Why Observables and not Promises. Every chip operation is a cold `Observable`: nothing is sent
 * until it is subscribed, and unsubscribing cancels it. That is the only return type that lets
 * cancellation reach the chip: a Promise cannot be withdrawn, so a Ctrl-C during a 65,536-cell
 * write-verify would have to wait for the whole array. With an Observable the driver stops
 * between units of work (a cell, a row, a batch), tells the board to abort what is in flight,
 * and leaves the chip idle. Long operations also report progress on the same stream
 * (`program` emits per-row progress before its result), which is what the RxJS pipeline and
 * the terminal UI consume. Single-answer operations emit exactly one value, then complete;
 * callers who want a Promise use `firstValueFrom`. Only `close()` returns a Promise: it is the
 * end of the driver, not an operation on the chip, and cannot be cancelled.
 */
import type { Observable } from 'rxjs';

/** A closed interval `[min, max]` in the unit named by the field that holds it. */
export interface Range {
  min: number;
  max: number;
}

/** Pulse polarity: SET raises conductance, RESET lowers it. */
export type Polarity = 'SET' | 'RESET';

/** How the integrate-and-fire readout reports a column: a spike count, or the time of its first spike. */
export type ReadoutMode = 'COUNT' | 'TTFS';

/**
 * The chip's safe operating area. Every command is checked against it before it is sent or
 * applied; nothing outside it ever reaches a cell.
 */
export interface SafeOperatingArea {
  /** SET pulse limits: amplitude on the bit line (V) and access-transistor gate voltage (V). */
  set: { amplitudeV: Range; gateV: Range };
  /** RESET pulse limits (amplitude on the source line, V; gate, V). */
  reset: { amplitudeV: Range; gateV: Range };
  /** Width of a SET or RESET pulse (s). */
  pulseWidthS: Range;
  /** Read voltage on the bit lines (V); also the range of the Vref knob. */
  readV: Range;
  /** IFC capacitor threshold (V); the range of the Vth knob. */
  vthV: Range;
  /** Forming limits: amplitude and gate (compliance) voltages, pulse width, pulses per cell. */
  forming: { amplitudeV: Range; gateV: Range; widthS: Range; maxPulses: number };
  /** Most pulses a board-side write-verify may spend on one cell, per polarity. */
  maxProgramPulsesPerPolarity: number;
  /** Most write-verify iterations per cell. */
  maxProgramIterations: number;
  /** Most verify reads averaged into one value. */
  maxReadAverage: number;
  /** Most pulses in one `pulse` request (count). Absent: 1000, rram-bench's own limit. */
  maxPulseCount?: number;
  /** Most input vectors in one `mvm` request. */
  maxMvmBatch: number;
}

/** Identity, geometry, capabilities and limits of a chip, as answered by `identify`. */
export interface ChipInfo {
  /** Chip model, e.g. `vlsi19-hfo2-256`. */
  model: string;
  /** Serial number of the die (or of the emulated chip). */
  serial: string;
  /** Board firmware version (semver). */
  firmwareVersion: string;
  /** Wire protocol version the board speaks (integer; 1 for docs/protocol.md v1). */
  protocolVersion: number;
  /** Word lines (inputs). */
  rows: number;
  /** Bit lines (outputs). */
  cols: number;
  /** Readout modes the chip supports. */
  readoutModes: ReadoutMode[];
  /** Supported activation precision (bits). */
  precisionBits: Range;
  /** System clock (Hz). */
  clockHz: number;
  /** Usable conductance window (µS) that write-verify targets must lie in. */
  conductanceWindowMicroS: Range;
  /** The safe operating area. */
  limits: SafeOperatingArea;
  /** True when the chip is a software emulator. */
  emulated: boolean;
}

/** A rectangle of cells: `rows × cols` starting at (`row`, `col`). */
export interface Region {
  row: number;
  col: number;
  rows: number;
  cols: number;
}

/** Forming ramp applied to virgin cells of a region. Cells already formed are skipped. */
export interface FormRequest {
  region: Region;
  /** First amplitude of the ramp (V). Default: the forming minimum. */
  startV?: number;
  /** Amplitude step (V). Default 0.1. */
  stepV?: number;
  /** Last amplitude of the ramp (V). Default: the forming maximum. */
  stopV?: number;
  /** Gate voltage, which sets the compliance current (V). Default 1.2. */
  gateV?: number;
  /** Pulse width (s). Default 10 µs. */
  widthS?: number;
}

/** Outcome of forming, one entry per cell of the region. */
export interface FormResult {
  region: Region;
  /** 1 where the cell is formed after the ramp. */
  formed: Uint8Array;
  /** Forming pulses applied to each cell (0 for cells that were already formed). */
  pulses: Uint16Array;
  /** Conductance read after forming (µS). */
  conductanceMicroS: Float32Array;
}

/** One or more identical SET/RESET pulses on one cell. */
export interface PulseRequest {
  row: number;
  col: number;
  polarity: Polarity;
  amplitudeV: number;
  /** Pulse width (s). */
  widthS: number;
  /** Access-transistor gate voltage (V); sets the SET compliance. */
  gateV: number;
  /** Number of pulses. Default 1. */
  count?: number;
}

/** Result of a pulse: the pulses really applied (0 when the cell is not formed). */
export interface PulseResult {
  row: number;
  col: number;
  applied: number;
}

/** A conductance read of a region (a cell is a 1×1 region, a row a 1×cols region). */
export interface ReadRequest {
  region: Region;
  /** Reads averaged into each value. Default 1. */
  average?: number;
}

/** Conductances of a region (µS, row-major) and when they were read. */
export interface ConductanceMap {
  region: Region;
  microS: Float32Array;
  average: number;
  /** Chip clock time of the read (s since the chip's epoch). */
  timeS: number;
}

/** Board-side write-verify of a region to target conductances. */
export interface ProgramRequest {
  region: Region;
  /** Targets (µS, row-major); each within the chip's conductance window. */
  targetsMicroS: Float32Array;
  /** Accept a cell when |G − target| ≤ tolerance (µS). Default 1. */
  toleranceMicroS?: number;
  /** Iteration cap per cell. Default: the limit. */
  maxIterations?: number;
  /** Pulse cap per polarity per cell. Default: the limit. */
  maxPulsesPerPolarity?: number;
  /** Verify reads averaged per iteration. Default 1. */
  verifyAverage?: number;
}

/** Per-cell outcome of a write-verify. */
export interface ProgramResult {
  region: Region;
  /** Conductance at the last verify (µS). */
  finalMicroS: Float32Array;
  /** Pulses applied per cell (both polarities). */
  pulses: Uint16Array;
  /** 1 where the last verify was within tolerance. */
  converged: Uint8Array;
}

/** What `program` emits: progress after each row of the region, then the result. */
export type ProgramEvent =
  | { kind: 'progress'; rowsDone: number; rowsTotal: number; cellsConverged: number }
  | { kind: 'result'; result: ProgramResult };

/** A batch of matrix-vector multiplies. */
export interface MvmRequest {
  /** Word lines driven, in the order of the input vectors' elements. */
  rows: readonly number[];
  /** Bit lines read, in the order of the output elements. */
  cols: readonly number[];
  /**
   * Input pulse counts, `batch × rows.length`, row-major; each in `[0, 2^bits − 1]` at the
   * configured precision. Input i drives word line `rows[i]` with that many read pulses.
   */
  inputs: Uint8Array;
}

/** Result of an MVM batch. */
export interface MvmResult {
  mode: ReadoutMode;
  precisionBits: number;
  /** Number of input vectors. */
  batch: number;
  /**
   * `batch × cols.length`, row-major. COUNT: spike counts in `[0, 2^bits − 1]`. TTFS: the
   * tick of each column's first spike in `[0, 2^bits − 1]`, where `2^bits − 1` also means
   * "did not fire" (earlier = stronger).
   */
  values: Uint8Array;
  /** Modelled or measured energy of the batch (J). */
  energyJ: number;
  /** Modelled or measured chip time of the batch (s). */
  latencyS: number;
}

/** Readout configuration: the IFC knobs. */
export interface ReadoutConfig {
  /** Activation precision (bits, 1–8): counts clip at 2^bits − 1. */
  precisionBits: number;
  /** Vref, the bit-line read voltage (V): scales the column current (proportional tuning). */
  readV: number;
  /** Vth, the IFC capacitor threshold (V): charge per spike (distorted tuning). */
  vthV: number;
  /** Integration window (s). Derived from the precision when absent in a `configure` call. */
  integrationWindowS: number;
  /** COUNT or TTFS. */
  mode: ReadoutMode;
  /** TTFS only: stop the layer once this fraction of read columns has fired (TTA). 1 = never stop early. */
  ttfsStopFraction: number;
}

/** Something that happened on the link to the chip, outside any one operation. */
export interface LinkEvent {
  /**
   * `disconnected`: the link went away; `reconnected`: it is back; `board-reset`: the board
   * restarted; `degraded`: replies are being lost on the way while the board answers, and the
   * host keeps resending (with backoff, on shorter lines) until its deadline.
   */
  kind: 'disconnected' | 'reconnected' | 'board-reset' | 'degraded';
  /** What happened, naming the port. */
  message: string;
  /** Port path. */
  port: string;
}

/** What the host saw on the link to a board since the driver opened (counts since open). */
export interface LinkCounters {
  /** Replies that settled a request. */
  replies: number;
  /** Request lines sent again with the same seq (timeouts, lost or damaged replies). */
  retries: number;
  /** Reply lines dropped for a bad charset, CRC, syntax or length. */
  badLines: number;
  /** Reconnects after the port went away or the board reset. */
  reconnects: number;
  /** Smoothed round trip of requests answered at the first try (ms). */
  rttMs: number;
  /** Longest line requests are sized for now (bytes). */
  lineBudget: number;
  /** Request lines sent for the first time. */
  sent?: number;
  /** Requests whose reply did not come within their budget. */
  timeouts?: number;
  /** Well-formed replies that answered nothing in flight (duplicates, late replies). */
  unmatched?: number;
  /** Board resets seen. */
  boardResets?: number;
}

/** The operations a chip supports. Every operation is cancellable by unsubscribing. */
export interface ChipDriver {
  /** The link's counters so far; absent on drivers without a link (the in-process emulator). */
  readonly linkCounters?: () => LinkCounters;
  /**
   * Link events (hot: subscribe to hear of those that happen from then on), for the run log.
   * Absent on drivers without a link (the in-process emulator).
   */
  readonly linkEvents?: Observable<LinkEvent>;
  /** Who the chip is and what it may be asked. */
  identify(): Observable<ChipInfo>;
  /** Form virgin cells of a region with a ramp within the forming limits. */
  form(request: FormRequest): Observable<FormResult>;
  /** Apply SET or RESET pulses to one cell. */
  pulse(request: PulseRequest): Observable<PulseResult>;
  /** Read conductances of a region. */
  read(request: ReadRequest): Observable<ConductanceMap>;
  /** Board-side write-verify; emits progress per row, then the result. */
  program(request: ProgramRequest): Observable<ProgramEvent>;
  /** Run a batch of MVMs. */
  mvm(request: MvmRequest): Observable<MvmResult>;
  /** Change readout settings; emits the full configuration in force afterwards. */
  configure(config: Partial<ReadoutConfig>): Observable<ReadoutConfig>;
  /** The current readout configuration. */
  readout(): Observable<ReadoutConfig>;
  /**
   * Let `seconds` of chip time pass without operating the chip (settle times, retention). Real
   * chips and wall-time emulators wait that long; an emulator on virtual time advances its
   * clock at once, so a day-long retention run takes milliseconds and repeats to the bit.
   */
  wait(seconds: number): Observable<void>;
  /** Stop whatever runs and ground all lines. Safe to call at any time, idempotent. */
  idle(): Observable<void>;
  /** Leave the chip idle and release the link. After close every operation fails with CLOSED. */
  close(): Promise<void>;
}

/** Stable error codes. Callers branch on these, never on message wording. */
export type BenchErrorCode =
  /** A command outside the chip's safe operating area; nothing was sent. */
  | 'LIMIT'
  /** A malformed argument (wrong shape, not finite, out of the array). */
  | 'INVALID_ARGUMENT'
  /** A chip profile failed validation. */
  | 'PROFILE_INVALID'
  /** A saved chip state file is unreadable or belongs to another chip model. */
  | 'STATE_INVALID'
  /** The operation was cancelled. */
  | 'ABORTED'
  /** The driver was closed. */
  | 'CLOSED'
  /** No answer in time. */
  | 'TIMEOUT'
  /** The link to the board went away. */
  | 'DISCONNECTED'
  /** The board spoke, but not the protocol we expect. */
  | 'PROTOCOL'
  /** The board answered with an error. */
  | 'DEVICE'
  /** The chip or driver does not support the request. */
  | 'UNSUPPORTED'
  /** A file or port could not be opened, read or written. */
  | 'IO'
  /** Bad command-line usage. */
  | 'USAGE';

/** The one error class of rram-bench: a stable `code`, a message naming the problem, and data. */
export class BenchError extends Error {
  override readonly name = 'BenchError';
  constructor(
    readonly code: BenchErrorCode,
    message: string,
    readonly context: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** True when `e` is a BenchError, optionally with the given code. */
export function isBenchError(e: unknown, code?: BenchErrorCode): e is BenchError {
  // By name as well as by class: a module loaded twice (the TypeScript loader's dynamic
  // imports, a bundle beside its sources) has two BenchError classes, one error kind.
  const like =
    e instanceof BenchError ||
    (e instanceof Error &&
      e.name === 'BenchError' &&
      typeof (e as { code?: unknown }).code === 'string');
  return like && (code === undefined || (e as BenchError).code === code);
}
