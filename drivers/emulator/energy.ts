/**
 * Timing and energy model of the macro, and the datasheet figures derived from it. The figures
 * are computed from profile parameters every time, never stored, so they move with precision,
 * clock, read/threshold voltages and input activity. docs/physics.md derives the defaults.
 */
import { BenchError } from '../driver.ts';
import type { Profile } from './profile.ts';

/** Conditions for timing and energy. */
export interface Operating {
  /** Activation precision (bits). */
  precisionBits: number;
  /** Clock (Hz). */
  clockHz: number;
  /** Vref (V). */
  readV: number;
  /** Vth (V). */
  vthV: number;
  /** Integration window (s). */
  integrationWindowS: number;
}

/** The operating point a profile starts in. */
export function defaultOperating(p: Profile): Operating {
  const bits = p.ifc.defaultPrecisionBits;
  return {
    precisionBits: bits,
    clockHz: p.clockHz,
    readV: p.ifc.defaultReadV,
    vthV: p.ifc.defaultVthV,
    integrationWindowS: integrationWindowS(p, bits),
  };
}

/**
 * IFC refractory time at a threshold voltage (s). Resetting a capacitor charged to a higher Vth
 * takes longer (t0 ∝ Vth above the default Vth), but never less than one period of the
 * published maximum spike rate: the comparator and reset logic cannot fire faster.
 */
export function refractoryS(p: Profile, vthV: number): number {
  const t = (p.ifc.t0S * vthV) / p.ifc.defaultVthV;
  const floor = 1 / p.ifc.maxSpikeRateHz;
  return t > floor ? t : floor;
}

/** Duration of the input phase at a precision (s): 2^b − 1 clocked pulse slots. */
export function inputPhaseS(p: Profile, bits: number, clockHz = p.clockHz): number {
  return ((2 ** bits - 1) * p.timing.cyclesPerInputPulse) / clockHz;
}

/**
 * Default integration window for a precision (s): the IFC integrates while the input pulses
 * arrive, so the window is the input phase (2^b − 1 slots of cyclesPerInputPulse clocks).
 */
export function integrationWindowS(p: Profile, bits: number, clockHz = p.clockHz): number {
  return inputPhaseS(p, bits, clockHz);
}

/**
 * Latency of one spike-conversion readout (s): from the end of integration to the counts being
 * out — setup cycles (comparator settle, latch) plus one cycle per bit of the count shifted out.
 */
export function conversionLatencyS(p: Profile, op: Operating): number {
  return (p.ifc.setupCycles + op.precisionBits * p.ifc.cyclesPerBit) / op.clockHz;
}

/**
 * Chip time of one MVM (s): the input phase (the integration window overlaps it; a window
 * configured longer extends it), fixed overhead cycles, then the conversion latency.
 */
export function mvmTimeS(p: Profile, op: Operating): number {
  const active = Math.max(inputPhaseS(p, op.precisionBits, op.clockHz), op.integrationWindowS);
  return active + p.timing.overheadCycles / op.clockHz + conversionLatencyS(p, op);
}

/** Charge delivered per µS·pulse at Vref (C): Vref · 1 µS · read-pulse width. */
export function chargePerMicroSPulseC(p: Profile, readV: number): number {
  return readV * 1e-6 * p.ifc.readPulseS;
}

/** Counts per µS·pulse in the IFC's linear region: charge per unit over charge per spike (C·Vth). */
export function countsPerMicroSPulse(p: Profile, readV: number, vthV: number): number {
  return chargePerMicroSPulseC(p, readV) / (p.ifc.capacitanceF * vthV);
}

/** What an MVM batch did, for its energy. */
export interface Activity {
  /** Σ over vectors and driven rows of input pulses. */
  inputPulses: number;
  /** Σ over vectors, rows and read columns of pulses × conductance (µS·pulse). */
  microSPulses: number;
  /** Spikes fired by the IFCs. */
  spikes: number;
  /** Chip time (s). */
  timeS: number;
}

/** Energy of a batch (J): array read energy V²·G·t, row drivers, IFC spikes (∝ Vth²), static power. */
export function energyJ(p: Profile, op: Operating, a: Activity): number {
  const array = op.readV * op.readV * 1e-6 * p.ifc.readPulseS * a.microSPulses;
  const drivers = p.energy.rowPulseJ * a.inputPulses;
  const spikes = p.energy.spikeJ * (op.vthV / 0.5) ** 2 * a.spikes;
  return array + drivers + spikes + p.energy.staticW * a.timeS;
}

/** Datasheet conditions. */
export interface DatasheetConditions {
  /** Activation precision (bits). Default 8. */
  precisionBits: number;
  /** Clock (Hz). Default: the profile's. */
  clockHz: number;
  /**
   * Mean input (and output) as a fraction of full scale, (0, 1]. Default 0.1307: the mean
   * pixel intensity of MNIST, the workload this macro was measured on.
   */
  inputActivity: number;
  /**
   * Mean conductance of the driven cells (µS). Default: a mapped network's, g_min +
   * (g_max − g_min)/(2·ln 20) — Laplace-distributed weights scaled so the 95th percentile of
   * |W| hits g_max (mean |W| = p95/ln 20), one cell of each twin pair at g_min. 7.51 µS at
   * 1–40 µS.
   */
  meanConductanceMicroS: number;
}

/** Mean pixel intensity of the MNIST training set (the default datasheet input activity). */
export const MNIST_MEAN_ACTIVITY = 0.1307;

/** The mean conductance of a mapped network (see DatasheetConditions.meanConductanceMicroS). */
export function mappedMeanConductance(p: Profile): number {
  const { gMinMicroS: lo, gMaxMicroS: hi } = p.conductance;
  return lo + (hi - lo) / (2 * Math.log(20));
}

/** Datasheet figures at given conditions. */
export interface DatasheetFigures {
  /** Macro energy per MAC (pJ). */
  pjPerMac: number;
  /** Macro average power (mW). */
  powerMw: number;
  /** Spike-conversion readout throughput at 8-bit (GOPS), at the conditions' clock. */
  gops8bit: number;
  /** Spike-conversion readout latency at 8-bit (ns), at the conditions' clock. */
  latencyNs8bit: number;
  /** Readout throughput at the conditions' precision (GOPS). */
  gops: number;
  /** Readout latency at the conditions' precision (ns). */
  latencyNs: number;
  /** Full-array MVMs per second. */
  mvmPerS: number;
  /** The conditions, defaults filled in. */
  conditions: DatasheetConditions;
}

/**
 * Figures for the reference workload: a full-array MVM with inputs and outputs at
 * `inputActivity` of full scale, cells at `meanConductanceMicroS` on average, default Vref/Vth.
 */
export function datasheet(p: Profile, c: Partial<DatasheetConditions> = {}): DatasheetFigures {
  const conditions: DatasheetConditions = {
    precisionBits: c.precisionBits ?? 8,
    clockHz: c.clockHz ?? p.clockHz,
    inputActivity: c.inputActivity ?? MNIST_MEAN_ACTIVITY,
    meanConductanceMicroS: c.meanConductanceMicroS ?? mappedMeanConductance(p),
  };
  const { precisionBits: b, clockHz: f, inputActivity: a, meanConductanceMicroS: g } = conditions;
  if (!Number.isInteger(b) || b < 1 || b > 8)
    throw new BenchError(
      'INVALID_ARGUMENT',
      `precision must be an integer from 1 to 8 bits, got ${b}`,
      { field: 'precisionBits' },
    );
  if (!(f > 0 && Number.isFinite(f)))
    throw new BenchError('INVALID_ARGUMENT', `clock must be a positive frequency in Hz, got ${f}`, {
      field: 'clockHz',
    });
  if (!(a > 0 && a <= 1))
    throw new BenchError('INVALID_ARGUMENT', `input activity must be in (0, 1], got ${a}`, {
      field: 'inputActivity',
    });
  if (!(g > 0 && Number.isFinite(g)))
    throw new BenchError(
      'INVALID_ARGUMENT',
      `mean conductance must be a positive number of µS, got ${g}`,
      { field: 'meanConductanceMicroS' },
    );
  const opAt = (bits: number): Operating => ({
    ...defaultOperating(p),
    precisionBits: bits,
    clockHz: conditions.clockHz,
    integrationWindowS: integrationWindowS(p, bits, conditions.clockHz),
  });
  const op = opAt(conditions.precisionBits);
  const full = 2 ** op.precisionBits - 1;
  const meanPulses = conditions.inputActivity * full;
  const meanG = conditions.meanConductanceMicroS;
  const macs = p.rows * p.cols;
  const timeS = mvmTimeS(p, op);
  const e = energyJ(p, op, {
    inputPulses: p.rows * meanPulses,
    microSPulses: macs * meanPulses * meanG,
    spikes: p.cols * meanPulses,
    timeS,
  });
  const readout = (o: Operating) => {
    const latency = conversionLatencyS(p, o);
    return { latencyNs: latency * 1e9, gops: (p.cols * p.ifc.opsPerConversion) / latency / 1e9 };
  };
  const at8 = readout(opAt(8));
  const atB = readout(op);
  return {
    pjPerMac: (e / macs) * 1e12,
    powerMw: (e / timeS) * 1e3,
    gops8bit: at8.gops,
    latencyNs8bit: at8.latencyNs,
    gops: atB.gops,
    latencyNs: atB.latencyNs,
    mvmPerS: 1 / timeS,
    conditions,
  };
}
