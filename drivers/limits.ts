/**
 * Request checks against a chip's declared geometry and safe operating area. Every driver runs
 * these before a command is applied or encoded, so nothing outside the limits reaches a cell or
 * the wire. Safety violations throw `LIMIT`; malformed requests throw `INVALID_ARGUMENT`.
 */
import type {
  ChipInfo,
  FormRequest,
  MvmRequest,
  ProgramRequest,
  PulseRequest,
  Range,
  ReadRequest,
  ReadoutConfig,
  Region,
} from './driver.ts';
import { BenchError } from './driver.ts';

/** Defaults a driver fills into a FormRequest. */
export const FORM_DEFAULTS = { stepV: 0.1, gateV: 1.2, widthS: 10e-6 } as const;
/** Longest integration window a configure may ask for (s). */
export const MAX_INTEGRATION_WINDOW_S = 1e-3;
/** Most pulses in one `pulse` request. */
export const MAX_PULSE_COUNT = 1000;

function invalid(message: string, context: Record<string, unknown>): never {
  throw new BenchError('INVALID_ARGUMENT', message, context);
}

function finite(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    invalid(`${field} must be a finite number, got ${String(value)}`, { field, value });
  return value;
}

/** Throw LIMIT unless `value` lies in `range`. */
export function within(field: string, value: unknown, range: Range, unit: string): number {
  const v = finite(field, value);
  if (v < range.min || v > range.max)
    throw new BenchError(
      'LIMIT',
      `${field} ${v}${unit ? ` ${unit}` : ''} is outside the chip's limit [${range.min}, ${range.max}]${unit ? ` ${unit}` : ''}`,
      { field, value: v, limit: range },
    );
  return v;
}

/**
 * A whole number under a limit the chip reports (`LIM?`): not a whole number ≥ `min` is a
 * malformed request (INVALID_ARGUMENT); above `max` is outside the safe operating area (LIMIT).
 */
function limited(field: string, value: unknown, min: number, max: number, unit = ''): number {
  const v = finite(field, value);
  if (!Number.isInteger(v) || v < min)
    invalid(`${field} must be a whole number >= ${min}, got ${v}`, { field, value: v });
  if (v > max)
    throw new BenchError(
      'LIMIT',
      `${field} ${v}${unit ? ` ${unit}` : ''} is outside the chip's limit [${min}, ${max}]${unit ? ` ${unit}` : ''}`,
      { field, value: v, limit: { min, max } },
    );
  return v;
}

function integer(field: string, value: unknown, min: number, max: number): number {
  const v = finite(field, value);
  if (!Number.isInteger(v) || v < min || v > max)
    invalid(`${field} must be an integer in [${min}, ${max}], got ${v}`, { field, value: v });
  return v;
}

/** A region must be non-empty and inside the array. */
export function checkRegion(info: ChipInfo, region: Region, field = 'region'): void {
  if (typeof region !== 'object' || region === null) invalid(`${field} is missing`, { field });
  integer(`${field}.row`, region.row, 0, info.rows - 1);
  integer(`${field}.col`, region.col, 0, info.cols - 1);
  integer(`${field}.rows`, region.rows, 1, info.rows - region.row);
  integer(`${field}.cols`, region.cols, 1, info.cols - region.col);
}

/** Check a pulse request and return it with defaults filled in. */
export function checkPulse(info: ChipInfo, req: PulseRequest): Required<PulseRequest> {
  integer('row', req.row, 0, info.rows - 1);
  integer('col', req.col, 0, info.cols - 1);
  if (req.polarity !== 'SET' && req.polarity !== 'RESET')
    invalid(`polarity must be SET or RESET, got ${String(req.polarity)}`, { field: 'polarity' });
  const soa = req.polarity === 'SET' ? info.limits.set : info.limits.reset;
  const p = req.polarity.toLowerCase();
  within(`${p} amplitude`, req.amplitudeV, soa.amplitudeV, 'V');
  within(`${p} gate voltage`, req.gateV, soa.gateV, 'V');
  within('pulse width', req.widthS, info.limits.pulseWidthS, 's');
  const count = req.count ?? 1;
  limited('count', count, 1, info.limits.maxPulseCount ?? MAX_PULSE_COUNT, 'pulses');
  return { ...req, count };
}

/** Check a read request; returns the averaging in force. */
export function checkRead(info: ChipInfo, req: ReadRequest): number {
  checkRegion(info, req.region);
  return limited('average', req.average ?? 1, 1, info.limits.maxReadAverage, 'reads');
}

/** Check a forming request and return it with defaults filled in. */
export function checkForm(info: ChipInfo, req: FormRequest): Required<FormRequest> {
  checkRegion(info, req.region);
  const f = info.limits.forming;
  const full: Required<FormRequest> = {
    region: req.region,
    startV: req.startV ?? f.amplitudeV.min,
    stopV: req.stopV ?? f.amplitudeV.max,
    stepV: req.stepV ?? FORM_DEFAULTS.stepV,
    gateV: req.gateV ?? FORM_DEFAULTS.gateV,
    widthS: req.widthS ?? FORM_DEFAULTS.widthS,
  };
  within('forming start amplitude', full.startV, f.amplitudeV, 'V');
  within('forming stop amplitude', full.stopV, f.amplitudeV, 'V');
  within('forming gate voltage', full.gateV, f.gateV, 'V');
  within('forming pulse width', full.widthS, f.widthS, 's');
  if (!(finite('forming step', full.stepV) > 0))
    invalid(`forming step must be positive, got ${full.stepV}`, { field: 'stepV' });
  if (full.stopV < full.startV)
    invalid(`forming stop amplitude ${full.stopV} V is below its start ${full.startV} V`, {
      field: 'stopV',
    });
  const pulses = Math.floor((full.stopV - full.startV) / full.stepV + 1e-9) + 1;
  if (pulses > f.maxPulses)
    throw new BenchError(
      'LIMIT',
      `forming ramp of ${pulses} pulses exceeds the chip's limit of ${f.maxPulses} per cell`,
      { field: 'forming pulses', value: pulses, limit: f.maxPulses },
    );
  return full;
}

/** Check a write-verify request and return it with defaults filled in. */
export function checkProgram(info: ChipInfo, req: ProgramRequest): Required<ProgramRequest> {
  checkRegion(info, req.region);
  const n = req.region.rows * req.region.cols;
  if (!(req.targetsMicroS instanceof Float32Array) || req.targetsMicroS.length !== n)
    invalid(
      `targets must be a Float32Array of ${n} values (region ${req.region.rows}×${req.region.cols})`,
      {
        field: 'targetsMicroS',
        expected: n,
        got: (req.targetsMicroS as { length?: number } | undefined)?.length,
      },
    );
  const w = info.conductanceWindowMicroS;
  for (let i = 0; i < n; i++) {
    const t = req.targetsMicroS[i]!;
    if (!Number.isFinite(t) || t < w.min || t > w.max) {
      const row = req.region.row + Math.floor(i / req.region.cols);
      const col = req.region.col + (i % req.region.cols);
      throw new BenchError(
        Number.isFinite(t) ? 'LIMIT' : 'INVALID_ARGUMENT',
        `target ${t} µS at cell (${row}, ${col}) is outside the conductance window [${w.min}, ${w.max}] µS`,
        { field: 'targetsMicroS', row, col, value: t, limit: w },
      );
    }
  }
  const lim = info.limits;
  const full: Required<ProgramRequest> = {
    region: req.region,
    targetsMicroS: req.targetsMicroS,
    toleranceMicroS: req.toleranceMicroS ?? 1,
    maxIterations: req.maxIterations ?? lim.maxProgramIterations,
    maxPulsesPerPolarity: req.maxPulsesPerPolarity ?? lim.maxProgramPulsesPerPolarity,
    verifyAverage: req.verifyAverage ?? 1,
  };
  if (!(finite('tolerance', full.toleranceMicroS) >= 0))
    invalid(`tolerance must be ≥ 0 µS, got ${full.toleranceMicroS}`, { field: 'toleranceMicroS' });
  within(
    'iterations per cell',
    full.maxIterations,
    { min: 1, max: lim.maxProgramIterations },
    'iterations',
  );
  within(
    'pulses per polarity',
    full.maxPulsesPerPolarity,
    { min: 1, max: lim.maxProgramPulsesPerPolarity },
    'pulses',
  );
  integer('maxIterations', full.maxIterations, 1, lim.maxProgramIterations);
  integer('maxPulsesPerPolarity', full.maxPulsesPerPolarity, 1, lim.maxProgramPulsesPerPolarity);
  limited('verifyAverage', full.verifyAverage, 1, lim.maxReadAverage, 'reads');
  return full;
}

/** Merge and check a readout configuration change. */
export function checkConfigure(
  info: ChipInfo,
  current: ReadoutConfig,
  change: Partial<ReadoutConfig>,
  windowFor: (bits: number) => number,
): ReadoutConfig {
  const next: ReadoutConfig = { ...current, ...change };
  integer('precision', next.precisionBits, info.precisionBits.min, info.precisionBits.max);
  within('read voltage (Vref)', next.readV, info.limits.readV, 'V');
  within('capacitor threshold (Vth)', next.vthV, info.limits.vthV, 'V');
  if (!info.readoutModes.includes(next.mode))
    invalid(
      `readout mode ${String(next.mode)} is not supported (supported: ${info.readoutModes.join(', ')})`,
      {
        field: 'mode',
      },
    );
  if (change.integrationWindowS === undefined && change.precisionBits !== undefined)
    next.integrationWindowS = windowFor(next.precisionBits);
  const w = finite('integration window', next.integrationWindowS);
  if (w <= 0 || w > MAX_INTEGRATION_WINDOW_S)
    throw new BenchError(
      'LIMIT',
      `integration window ${w} s is outside (0, ${MAX_INTEGRATION_WINDOW_S}] s`,
      {
        field: 'integrationWindowS',
        value: w,
      },
    );
  const f = finite('TTFS stop fraction', next.ttfsStopFraction);
  if (f <= 0 || f > 1)
    invalid(`TTFS stop fraction must be in (0, 1], got ${f}`, { field: 'ttfsStopFraction' });
  return next;
}

/** Check an MVM batch against geometry, batch limit and the precision in force; returns the batch size. */
export function checkMvm(info: ChipInfo, req: MvmRequest, precisionBits: number): number {
  const lines = (field: 'rows' | 'cols', max: number) => {
    const list: readonly unknown[] = req[field];
    if (!Array.isArray(list) || list.length === 0)
      invalid(`${field} must be a non-empty list of indices`, { field });
    const seen = new Set<number>();
    for (const item of list) {
      const v = integer(`${field} index`, item, 0, max - 1);
      if (seen.has(v)) invalid(`${field} lists line ${v} twice`, { field, value: v });
      seen.add(v);
    }
  };
  lines('rows', info.rows);
  lines('cols', info.cols);
  if (!(req.inputs instanceof Uint8Array))
    invalid('inputs must be a Uint8Array', { field: 'inputs' });
  const k = req.rows.length;
  if (req.inputs.length === 0 || req.inputs.length % k !== 0)
    invalid(`inputs hold ${req.inputs.length} values, not a whole number of ${k}-element vectors`, {
      field: 'inputs',
    });
  const batch = req.inputs.length / k;
  if (batch > info.limits.maxMvmBatch)
    throw new BenchError(
      'LIMIT',
      `batch of ${batch} vectors exceeds the chip's limit of ${info.limits.maxMvmBatch}`,
      {
        field: 'batch',
        value: batch,
        limit: info.limits.maxMvmBatch,
      },
    );
  const top = (1 << precisionBits) - 1;
  // At 8 bits every byte is a valid pulse count: skip the scan of (up to a million) inputs.
  for (let i = 0; top < 255 && i < req.inputs.length; i++) {
    if (req.inputs[i]! > top)
      invalid(
        `input ${req.inputs[i]} (vector ${Math.floor(i / k)}, element ${i % k}) exceeds ${top}, the largest ${precisionBits}-bit pulse count`,
        { field: 'inputs', index: i, value: req.inputs[i], limit: top },
      );
  }
  return batch;
}
