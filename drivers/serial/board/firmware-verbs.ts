/**
 * The chip verbs of docs/protocol.md §4 on the board side: parse a request's arguments, run it
 * on the emulated chip, format the reply value. Argument errors follow §3: a wrong argument
 * count or a non-number where a number is needed is 111, a malformed word (line set, base64,
 * polarity, CONF pair) is 100, a payload of the wrong size is 201, and a reply that could not
 * fit a line is refused with 102 *before* anything runs, so a non-idempotent verb never runs
 * only to have its answer thrown away. Range and limit checks are the chip's own (limits.ts).
 */
import { firstValueFrom, lastValueFrom } from 'rxjs';
import type { ChipInfo, ReadoutConfig, Region } from '../../driver.ts';
import type { EmulatorDriver } from '../../emulator/emulator-driver.ts';
import { defaultReadoutConfig } from '../../emulator/macro.ts';
import { MAX_PULSE_COUNT, checkRegion } from '../../limits.ts';
import {
  CONF_KEYS,
  MAX_LINE_BYTES,
  PROTOCOL_VERSION,
  encodeF32,
  encodeFlags,
  encodeU16,
  fromBase64,
  packBits,
  parseLineSet,
  toBase64,
  unpackBits,
} from '../wire/codec.ts';
import { WIRE_ERROR, WireError } from './firmware-error.ts';
import { MAX_STAGE_BYTES } from '../wire/wire-format.ts';

/** What a verb needs besides its arguments. */
export interface VerbContext {
  chip: EmulatorDriver;
  /** Chip info as reported (firmware version overridden by the options). */
  info: ChipInfo;
  /** Longest reply value that still fits a line for this request's seq (characters). */
  maxValueChars: number;
  /** Record pulses applied to a cell (row-major index) for the pulse log. */
  recordPulses(cell: number, count: number): void;
  /** Region snapshots taken by `SNAP`, by slot (the board keeps the last MAX_SNAPSHOTS). */
  snapshots: Map<number, Snapshot>;
  /** MVM staging buffers of `STAGE`/`MVMS`/`TAKE`, by slot (the last MAX_SNAPSHOTS kept). */
  stages: Map<number, Stage>;
}

/** An MVM staged in pieces (§4 STAGE, MVMS, TAKE): packed inputs in, packed values out. */
export interface Stage {
  inputs: Uint8Array;
  /** Bytes of `inputs` written so far (the highest offset + length). */
  length: number;
  /** Packed values of the last MVMS on this slot. */
  values?: Uint8Array;
}

/** A region read at one chip time, kept for `FETCH` (§4). */
export interface Snapshot {
  /** Chip time of the read (s). */
  timeS: number;
  /** Conductances (µS), row-major. */
  microS: Float32Array;
}

/** Snapshots a board keeps; the oldest is dropped beyond this. */
export const MAX_SNAPSHOTS = 16;

/** A chip verb: arguments in, reply value out (undefined: a bare `OK`). */
export type ChipVerb = (args: readonly string[], ctx: VerbContext) => Promise<string | undefined>;

/** Longest text `String(number)` produces ("-1.2345678901234567e-308"). */
const NUMBER_CHARS = 24;

/** Characters of the base64 of `bytes` bytes. */
function b64(bytes: number): number {
  return 4 * Math.ceil(bytes / 3);
}

/** Reply-value characters left after the `<seq> OK ` prefix and `*CRC\r\n` suffix. */
export function maxValueChars(seq: number | '-'): number {
  return MAX_LINE_BYTES - `${seq} OK `.length - '*XXXX\r\n'.length;
}

function argCount(verb: string, args: readonly string[], n: number, usage: string): void {
  if (args.length !== n)
    throw new WireError(
      WIRE_ERROR.BAD_ARGS,
      `${verb} takes ${n} argument${n === 1 ? '' : 's'} (${usage}), got ${args.length}`,
    );
}

/** A number argument (any form Number() reads); 111 when it is not one. */
function num(name: string, text: string): number {
  const v = text.trim() === '' ? NaN : Number(text);
  if (!Number.isFinite(v))
    throw new WireError(WIRE_ERROR.BAD_ARGS, `${name} must be a number, got '${text}'`);
  return v;
}

function region(info: ChipInfo, args: readonly string[]): Region {
  const r: Region = {
    row: num('row', args[0]!),
    col: num('col', args[1]!),
    rows: num('rows', args[2]!),
    cols: num('cols', args[3]!),
  };
  checkRegion(info, r);
  return r;
}

/** Refuse (102) a request whose reply value would need more than the line holds. */
function fits(ctx: VerbContext, chars: number, what: string): void {
  if (chars > ctx.maxValueChars)
    throw new WireError(
      WIRE_ERROR.TOO_LONG,
      `the reply to this ${what} would be ${chars} characters, more than the ${ctx.maxValueChars} a line holds: split it`,
    );
}

function payload(name: string, text: string): Uint8Array {
  const bytes = fromBase64(text);
  if (!bytes)
    throw new WireError(WIRE_ERROR.BAD_ARGS, `${name} is not base64 (RFC 4648, with padding)`);
  return bytes;
}

function wrongSize(name: string, got: number, expected: number, detail: string): never {
  throw new WireError(
    WIRE_ERROR.RANGE,
    `${name} holds ${got} bytes, expected ${expected} (${detail})`,
  );
}

/** `CONF?` value: `bits=8 vref=0.2 vth=0.5 window=0.0000102 mode=COUNT stop=1`. */
export function formatConfig(c: ReadoutConfig): string {
  return `bits=${c.precisionBits} vref=${c.readV} vth=${c.vthV} window=${c.integrationWindowS} mode=${c.mode} stop=${c.ttfsStopFraction}`;
}

function parseConfig(args: readonly string[]): Partial<ReadoutConfig> {
  const change: Record<string, number | string> = {};
  for (const arg of args) {
    const m = /^([a-z]+)=(\S+)$/.exec(arg);
    if (!m) throw new WireError(WIRE_ERROR.BAD_ARGS, `CONF argument '${arg}' is not key=value`);
    const field = (CONF_KEYS as Record<string, keyof ReadoutConfig>)[m[1]!];
    if (!field)
      throw new WireError(
        WIRE_ERROR.BAD_ARGS,
        `unknown CONF key '${m[1]}' (keys: ${Object.keys(CONF_KEYS).join(', ')})`,
      );
    if (field === 'mode') {
      if (m[2] !== 'COUNT' && m[2] !== 'TTFS')
        throw new WireError(WIRE_ERROR.BAD_ARGS, `mode must be COUNT or TTFS, got '${m[2]}'`);
      change[field] = m[2]!;
    } else change[field] = num(m[1]!, m[2]!);
  }
  return change;
}

const idn: ChipVerb = (_args, { info }) =>
  Promise.resolve(`RRAM-BENCH,${info.model},${info.serial},${info.firmwareVersion}`);

const conf: ChipVerb = async (args, { chip }) =>
  formatConfig(await firstValueFrom(chip.configure(parseConfig(args))));

const confQuery: ChipVerb = async (args, { chip }) => {
  argCount('CONF?', args, 0, 'none');
  return formatConfig(await firstValueFrom(chip.readout()));
};

const form: ChipVerb = async (args, ctx) => {
  argCount('FORM', args, 9, 'row col rows cols startV stopV stepV gateV widthS');
  const r = region(ctx.info, args);
  const [startV, stopV, stepV, gateV, widthS] = [
    num('startV', args[4]!),
    num('stopV', args[5]!),
    num('stepV', args[6]!),
    num('gateV', args[7]!),
    num('widthS', args[8]!),
  ];
  const n = r.rows * r.cols;
  fits(ctx, b64(Math.ceil(n / 8)) + b64(2 * n) + b64(4 * n) + 2, 'FORM');
  const res = await firstValueFrom(
    ctx.chip.form({ region: r, startV, stopV, stepV, gateV, widthS }),
  );
  for (let k = 0; k < n; k++) {
    const cell = (r.row + Math.floor(k / r.cols)) * ctx.info.cols + r.col + (k % r.cols);
    ctx.recordPulses(cell, res.pulses[k]!);
  }
  return `${encodeFlags(res.formed)} ${encodeU16(res.pulses)} ${encodeF32(res.conductanceMicroS)}`;
};

const pulse: ChipVerb = async (args, ctx) => {
  argCount('PULSE', args, 7, 'row col SET|RESET ampV widthS gateV count');
  const row = num('row', args[0]!);
  const col = num('col', args[1]!);
  const polarity = args[2]!;
  if (polarity !== 'SET' && polarity !== 'RESET')
    throw new WireError(WIRE_ERROR.BAD_ARGS, `polarity must be SET or RESET, got '${polarity}'`);
  const res = await firstValueFrom(
    ctx.chip.pulse({
      row,
      col,
      polarity: polarity,
      amplitudeV: num('ampV', args[3]!),
      widthS: num('widthS', args[4]!),
      gateV: num('gateV', args[5]!),
      count: num('count', args[6]!),
    }),
  );
  ctx.recordPulses(res.row * ctx.info.cols + res.col, res.applied);
  return String(res.applied);
};

const read: ChipVerb = async (args, ctx) => {
  argCount('READ', args, 5, 'row col rows cols average');
  const r = region(ctx.info, args);
  const average = num('average', args[4]!);
  fits(ctx, NUMBER_CHARS + 1 + b64(4 * r.rows * r.cols), 'READ');
  const map = await firstValueFrom(ctx.chip.read({ region: r, average }));
  return `${map.timeS} ${encodeF32(map.microS)}`;
};

/** `WAIT <seconds>`: let chip time pass on the board's clock (§4); replies the chip time after. */
const wait: ChipVerb = async (args, ctx) => {
  argCount('WAIT', args, 1, 'seconds');
  const seconds = num('seconds', args[0]!);
  if (seconds < 0) throw new WireError(WIRE_ERROR.RANGE, `seconds must be >= 0, got ${seconds}`);
  await lastValueFrom(ctx.chip.wait(seconds), { defaultValue: undefined });
  return String(ctx.chip.macro.clock.now());
};

/** `SNAP <slot> <row> <col> <rows> <cols> <average>`: read a whole region at one chip time (§4). */
const snap: ChipVerb = async (args, ctx) => {
  argCount('SNAP', args, 6, 'slot row col rows cols average');
  const slot = slotArg(args[0]!);
  const r = region(ctx.info, args.slice(1));
  const average = num('average', args[5]!);
  const map = await firstValueFrom(ctx.chip.read({ region: r, average }));
  keep(ctx.snapshots, slot, { timeS: map.timeS, microS: map.microS });
  return `${map.timeS} ${map.microS.length}`;
};

function keep<T>(map: Map<number, T>, slot: number, value: T): void {
  map.delete(slot);
  map.set(slot, value);
  for (const old of map.keys()) {
    if (map.size <= MAX_SNAPSHOTS) break;
    map.delete(old);
  }
}

function slotArg(text: string): number {
  const slot = num('slot', text);
  if (!Number.isInteger(slot) || slot < 0 || slot > 0xffff)
    throw new WireError(WIRE_ERROR.RANGE, `slot must be an integer 0-65535, got ${slot}`);
  return slot;
}

/** `STAGE <slot> <offset> <bytes>`: write packed MVM inputs into a slot's staging buffer. */
const stage: ChipVerb = (args, ctx) => {
  argCount('STAGE', args, 3, 'slot offset bytes');
  const slot = slotArg(args[0]!);
  const offset = num('offset', args[1]!);
  const bytes = payload('bytes', args[2]!);
  if (!Number.isInteger(offset) || offset < 0 || offset + bytes.length > MAX_STAGE_BYTES)
    throw new WireError(
      WIRE_ERROR.RANGE,
      `bytes ${offset}+${bytes.length} are outside the ${MAX_STAGE_BYTES}-byte staging buffer`,
    );
  let s = ctx.stages.get(slot);
  if (!s || offset === 0) {
    s = { inputs: new Uint8Array(MAX_STAGE_BYTES), length: 0 };
    keep(ctx.stages, slot, s);
  }
  s.inputs.set(bytes, offset);
  s.length = Math.max(s.length, offset + bytes.length);
  return Promise.resolve(undefined);
};

/** `MVMS <slot> <rows> <cols> <batch>`: the MVM of a slot's staged inputs, values kept for TAKE. */
const mvmStaged: ChipVerb = async (args, ctx) => {
  argCount('MVMS', args, 4, 'slot rows cols batch');
  const slot = slotArg(args[0]!);
  const rows = parseLineSet(args[1]!);
  const cols = parseLineSet(args[2]!);
  if (!rows) throw new WireError(WIRE_ERROR.BAD_ARGS, `rows '${args[1]}' is not a line set`);
  if (!cols) throw new WireError(WIRE_ERROR.BAD_ARGS, `cols '${args[2]}' is not a line set`);
  const batch = num('batch', args[3]!);
  if (!Number.isInteger(batch) || batch < 1)
    throw new WireError(WIRE_ERROR.RANGE, `batch must be a whole number >= 1, got ${batch}`);
  const s = ctx.stages.get(slot);
  if (!s) throw new WireError(WIRE_ERROR.RANGE, `nothing staged in slot ${slot}`);
  const bits = ctx.chip.macro.config.precisionBits;
  const inBytes = Math.ceil((batch * rows.length * bits) / 8);
  const outBytes = Math.ceil((batch * cols.length * bits) / 8);
  if (inBytes !== s.length || outBytes > MAX_STAGE_BYTES)
    wrongSize(
      'staged inputs',
      s.length,
      inBytes,
      `${batch} x ${rows.length} values at ${bits} bits`,
    );
  const inputs = unpackBits(s.inputs.subarray(0, inBytes), bits, batch * rows.length)!;
  const res = await lastValueFrom(ctx.chip.mvm({ rows, cols, inputs }));
  s.values = packBits(res.values, res.precisionBits);
  return `${res.batch} ${res.energyJ} ${res.latencyS} ${s.values.length}`;
};

/** `TAKE <slot> <offset> <count>`: bytes of a slot's packed MVM values. */
const take: ChipVerb = (args, ctx) => {
  argCount('TAKE', args, 3, 'slot offset count');
  const slot = slotArg(args[0]!);
  const offset = num('offset', args[1]!);
  const count = num('count', args[2]!);
  const values = ctx.stages.get(slot)?.values;
  if (!values) throw new WireError(WIRE_ERROR.RANGE, `no MVM values in slot ${slot}`);
  if (
    !Number.isInteger(offset) ||
    !Number.isInteger(count) ||
    offset < 0 ||
    count < 1 ||
    offset + count > values.length
  )
    throw new WireError(
      WIRE_ERROR.RANGE,
      `bytes ${offset}+${count} are outside the ${values.length} bytes of slot ${slot}`,
    );
  fits(ctx, b64(count), 'TAKE');
  return Promise.resolve(toBase64(values.subarray(offset, offset + count)));
};

/** `FETCH <slot> <offset> <count>`: conductances of a snapshot, cells offset … offset+count−1. */
const fetch: ChipVerb = (args, ctx) => {
  argCount('FETCH', args, 3, 'slot offset count');
  const slot = num('slot', args[0]!);
  const offset = num('offset', args[1]!);
  const count = num('count', args[2]!);
  const s = ctx.snapshots.get(slot);
  if (!s) throw new WireError(WIRE_ERROR.RANGE, `no snapshot in slot ${slot}`);
  if (
    !Number.isInteger(offset) ||
    !Number.isInteger(count) ||
    offset < 0 ||
    count < 1 ||
    offset + count > s.microS.length
  )
    throw new WireError(
      WIRE_ERROR.RANGE,
      `cells ${offset}+${count} are outside snapshot ${slot} of ${s.microS.length} cells`,
    );
  fits(ctx, b64(4 * count), 'FETCH');
  return Promise.resolve(encodeF32(s.microS.subarray(offset, offset + count)));
};

const prog: ChipVerb = async (args, ctx) => {
  argCount('PROG', args, 8, 'row col cols tol maxIter maxPulses verifyAvg targets');
  const r = region(ctx.info, [args[0]!, args[1]!, '1', args[2]!]);
  const toleranceMicroS = num('tol', args[3]!);
  const maxIterations = num('maxIter', args[4]!);
  const maxPulsesPerPolarity = num('maxPulses', args[5]!);
  const verifyAverage = num('verifyAvg', args[6]!);
  fits(ctx, b64(4 * r.cols) + b64(2 * r.cols) + b64(Math.ceil(r.cols / 8)) + 2, 'PROG');
  const bytes = payload('targets', args[7]!);
  if (bytes.length !== 4 * r.cols)
    wrongSize('targets', bytes.length, 4 * r.cols, `${r.cols} float32 values`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const targetsMicroS = Float32Array.from({ length: r.cols }, (_, i) =>
    view.getFloat32(4 * i, true),
  );
  const events = await lastValueFrom(
    ctx.chip.program({
      region: r,
      targetsMicroS,
      toleranceMicroS,
      maxIterations,
      maxPulsesPerPolarity,
      verifyAverage,
    }),
  );
  if (events.kind !== 'result') throw new Error('write-verify ended without a result');
  const res = events.result;
  for (let k = 0; k < r.cols; k++)
    ctx.recordPulses(r.row * ctx.info.cols + r.col + k, res.pulses[k]!);
  return `${encodeF32(res.finalMicroS)} ${encodeU16(res.pulses)} ${encodeFlags(res.converged)}`;
};

const mvm: ChipVerb = async (args, ctx) => {
  argCount('MVM', args, 4, 'rows cols batch inputs');
  const rows = parseLineSet(args[0]!);
  const cols = parseLineSet(args[1]!);
  if (!rows) throw new WireError(WIRE_ERROR.BAD_ARGS, `rows '${args[0]}' is not a line set`);
  if (!cols) throw new WireError(WIRE_ERROR.BAD_ARGS, `cols '${args[1]}' is not a line set`);
  const batch = num('batch', args[2]!);
  if (!Number.isInteger(batch) || batch < 1)
    throw new WireError(WIRE_ERROR.RANGE, `batch must be a whole number ≥ 1, got ${batch}`);
  const bits = ctx.chip.macro.config.precisionBits;
  fits(
    ctx,
    args[2]!.length + 2 * NUMBER_CHARS + 3 + b64(Math.ceil((batch * cols.length * bits) / 8)),
    'MVM',
  );
  const count = batch * rows.length;
  const bytes = payload('inputs', args[3]!);
  const inputs = unpackBits(bytes, bits, count);
  if (!inputs)
    wrongSize(
      'inputs',
      bytes.length,
      Math.ceil((count * bits) / 8),
      `${batch} × ${rows.length} values at ${bits} bits`,
    );
  const res = await lastValueFrom(ctx.chip.mvm({ rows, cols, inputs }));
  return `${res.batch} ${res.energyJ} ${res.latencyS} ${toBase64(packBits(res.values, res.precisionBits))}`;
};

const reset: ChipVerb = async (args, { chip }) => {
  argCount('*RST', args, 0, 'none');
  await firstValueFrom(chip.configure(defaultReadoutConfig(chip.macro.profile)));
  return undefined;
};

/** Verbs answered from the chip, by name. `*RST`'s error-queue part is the firmware's. */
export const CHIP_VERBS: Readonly<Record<string, ChipVerb>> = {
  '*IDN?': (args, ctx) => (argCount('*IDN?', args, 0, 'none'), idn(args, ctx)),
  'PROT?': (args) => (
    argCount('PROT?', args, 0, 'none'),
    Promise.resolve(String(PROTOCOL_VERSION))
  ),
  'LIM?': (args, { info }) => (
    argCount('LIM?', args, 0, 'none'),
    Promise.resolve(
      JSON.stringify({
        ...info,
        limits: { ...info.limits, maxPulseCount: info.limits.maxPulseCount ?? MAX_PULSE_COUNT },
      }),
    )
  ),
  CONF: conf,
  'CONF?': confQuery,
  FORM: form,
  PULSE: pulse,
  READ: read,
  SNAP: snap,
  FETCH: fetch,
  STAGE: stage,
  MVMS: mvmStaged,
  TAKE: take,
  WAIT: wait,
  PROG: prog,
  MVM: mvm,
  '*RST': reset,
};

/** Verbs that change cells: logged in the firmware's pulse log, never run twice for one seq. */
export const NON_IDEMPOTENT = new Set(['PULSE', 'PROG', 'FORM']);
