/**
 * Chip profiles: every physical number of the emulated macro, validated. A profile is a JSON
 * file in `fixtures/profiles/` (or anywhere, by path). docs/physics.md explains each parameter
 * and where its default comes from.
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { BenchError } from '../driver.ts';

const range = z
  .object({ min: z.number(), max: z.number() })
  .strict()
  .refine((r) => r.min <= r.max, { message: 'min must not exceed max' });
const nonNeg = z.number().nonnegative();
const pos = z.number().positive();
const fraction = z.number().min(0).max(1);

const limitsSchema = z
  .object({
    set: z.object({ amplitudeV: range, gateV: range }).strict(),
    reset: z.object({ amplitudeV: range, gateV: range }).strict(),
    pulseWidthS: range,
    readV: range,
    vthV: range,
    forming: z
      .object({
        amplitudeV: range,
        gateV: range,
        widthS: range,
        maxPulses: z.number().int().positive(),
      })
      .strict(),
    maxProgramPulsesPerPolarity: z.number().int().positive(),
    maxProgramIterations: z.number().int().positive(),
    maxReadAverage: z.number().int().positive(),
    maxMvmBatch: z.number().int().positive(),
  })
  .strict();

export const profileSchema = z
  .object({
    /** Profile name, e.g. `vlsi19-hfo2-256`. */
    name: z.string().min(1),
    description: z.string(),
    /** Chip model reported by identify. */
    model: z.string().min(1),
    rows: z.number().int().min(1).max(4096),
    cols: z.number().int().min(1).max(4096),
    /** System clock (Hz). */
    clockHz: pos,
    conductance: z
      .object({
        /** Usable window lower edge (µS). */
        gMinMicroS: pos,
        /** Usable window upper edge (µS). */
        gMaxMicroS: pos,
        /** Conductance of a virgin (unformed) cell (µS). */
        virginMicroS: nonNeg,
      })
      .strict()
      .refine((c) => c.gMinMicroS < c.gMaxMicroS, {
        message: 'gMinMicroS must be below gMaxMicroS',
      }),
    forming: z
      .object({
        /** Mean forming voltage of a cell (V). */
        voltageMeanV: pos,
        /** Device-to-device spread of the forming voltage (V, σ). */
        voltageSigmaV: nonNeg,
        /** Conductance right after forming at gate 1.2 V (µS). */
        formedMicroS: pos,
      })
      .strict(),
    pulse: z
      .object({
        /** SET amplitude below which nothing happens (V). */
        setThresholdV: nonNeg,
        /** RESET amplitude below which nothing happens (V). */
        resetThresholdV: nonNeg,
        /** Mean step per pulse, as a fraction of the remaining headroom, per volt above threshold, at the reference width. */
        stepPerV: pos,
        /** Pulse width at which `stepPerV` holds (s); the step grows with log(width). */
        referenceWidthS: pos,
        /** Device-to-device spread (σ, relative) of the step size. */
        stepDtoD: nonNeg,
        /** Device-to-device spread (σ, relative) of the saturation levels beyond the window. */
        windowDtoD: nonNeg,
        /** Cycle-to-cycle spread (σ, relative) of one pulse's step. */
        cycleToCycle: nonNeg,
        /** Saturation headroom beyond the window, as a fraction of the window. */
        headroom: pos,
        /** Gate voltage at which SET compliance reaches the window top (V). */
        complianceGateV: pos,
        /** Gate voltage below which SET cannot raise conductance at all (V). */
        gateThresholdV: nonNeg,
        /** Write exactly: a verify-program lands on target in one pulse (the `ideal` profile). */
        exact: z.boolean(),
      })
      .strict(),
    relaxation: z
      .object({
        /** Times after programming at which σ is published (s), ascending. */
        timesS: z.array(pos).min(1),
        /**
         * σ of G(t) − G0 (µS) per published time: polynomial coefficients c0, c1, … in
         * x = G0/gMax (clamped to [0, 1]), scaled by gMax/referenceGmaxMicroS. Negative σ reads 0.
         */
        sigmaPolyMicroS: z.array(z.array(z.number()).min(1)),
        /** The gMax (µS) the coefficients were fitted at. Default 40 (aihwkit's ReRamWan2022). */
        referenceGmaxMicroS: pos.default(40),
        /** Lower clamp of a relaxing conductance (µS). Default 0 (aihwkit clamps at 0). */
        floorMicroS: nonNeg.default(0),
        /** Where the coefficients come from. */
        source: z.string().optional(),
        /** σ multiplier per re-programming round (0–1]. */
        reprogramShrink: z.number().gt(0).max(1),
        /** Lower bound of the accumulated multiplier. */
        minShrink: z.number().gt(0).max(1),
        /** A pulse this long after the cell's previous pulse starts a new programming round (s). */
        roundGapS: pos,
      })
      .strict()
      .refine((r) => r.sigmaPolyMicroS.length === r.timesS.length, {
        message: 'sigmaPolyMicroS needs one row of coefficients per entry of timesS',
        path: ['sigmaPolyMicroS'],
      }),
    readNoise: z
      .object({
        /** σ of one read relative to G (proportional part). */
        relative: nonNeg,
        /** Additive σ of one read (µS), independent of G (short-term 1/f part). Default 0. */
        additiveMicroS: nonNeg.default(0),
      })
      .strict(),
    stuck: z
      .object({
        /** Fraction of cells stuck. */
        fraction,
        /** Share of stuck cells stuck at gMin (the rest at gMax). */
        lowShare: fraction,
      })
      .strict(),
    ifc: z
      .object({
        /** Integrating capacitor (F); charge per spike is C·Vth. */
        capacitanceF: pos,
        /** Width of one input read pulse (s); clocked: at least one clock period. */
        readPulseS: pos,
        /** IFC refractory time t0 at the default Vth (s): sets saturation t_m/t0; ≥ 1/maxSpikeRateHz. */
        t0S: pos,
        /** Highest spike rate the IFC can fire at (Hz): 99.24 MHz published (VLSI'19). */
        maxSpikeRateHz: pos,
        /** Setup cycles per conversion after integration (comparator settle, latch). */
        setupCycles: nonNeg,
        /** Clock cycles per bit to shift a count out. */
        cyclesPerBit: nonNeg,
        /** Linear readout (ideal): n = Q/α, no saturation. */
        linear: z.boolean(),
        /** Per-column gain spread (σ, relative). */
        gainSigma: nonNeg,
        /** Per-column offset spread (σ, fraction of full scale). */
        offsetSigma: nonNeg,
        /** Ops counted per column conversion in the published GOPS figure. */
        opsPerConversion: pos,
        /** Default Vref (V). */
        defaultReadV: pos,
        /** Default Vth (V). */
        defaultVthV: pos,
        /** Default precision (bits). */
        defaultPrecisionBits: z.number().int().min(1).max(8),
      })
      .strict(),
    timing: z
      .object({
        /** Clock cycles per input pulse (pulse plus gap). */
        cyclesPerInputPulse: pos,
        /** Fixed cycles per MVM (row-driver setup, count shift-out). */
        overheadCycles: nonNeg,
      })
      .strict(),
    energy: z
      .object({
        /** Row-driver energy per input pulse (J). */
        rowPulseJ: nonNeg,
        /** IFC energy per spike at Vth = 0.5 V (J); scales with Vth². */
        spikeJ: nonNeg,
        /** Static power (W). */
        staticW: nonNeg,
      })
      .strict(),
    limits: limitsSchema,
  })
  .strict();

/** A validated chip profile. */
export type Profile = z.infer<typeof profileSchema>;

const PROFILE_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/profiles');

/** Names of the bundled profiles. */
export function listProfiles(): string[] {
  return readdirSync(PROFILE_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => basename(f, '.json'))
    .sort();
}

/** Validate a parsed profile object; throws PROFILE_INVALID naming the field path. */
export function parseProfile(data: unknown, source = 'profile'): Profile {
  const result = profileSchema.safeParse(data);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const path = issue.path.length ? issue.path.join('.') : '(root)';
    throw new BenchError('PROFILE_INVALID', `${source}: ${path}: ${issue.message}`, {
      source,
      path,
      issues: result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    });
  }
  const p = result.data;
  checkCrossFields(p, source);
  return p;
}

function checkCrossFields(p: Profile, source: string): void {
  const fail = (path: string, message: string): never => {
    throw new BenchError('PROFILE_INVALID', `${source}: ${path}: ${message}`, { source, path });
  };
  const ascending = (a: number[]) => a.every((v, i) => i === 0 || v > a[i - 1]!);
  if (!ascending(p.relaxation.timesS)) fail('relaxation.timesS', 'must be strictly ascending');
  if (p.limits.readV.min <= 0) fail('limits.readV.min', 'must be positive');
  // Physically possible timing: clocked read pulses of at least one clock period that fit in
  // their slot, and a refractory time no shorter than the published maximum spike rate allows.
  const period = 1 / p.clockHz;
  if (p.ifc.readPulseS < period * (1 - 1e-9))
    fail('ifc.readPulseS', `must be at least one clock period (${period} s)`);
  if (p.ifc.readPulseS > p.timing.cyclesPerInputPulse * period * (1 + 1e-9))
    fail('ifc.readPulseS', 'must fit in its cyclesPerInputPulse slot');
  if (p.ifc.t0S < (1 / p.ifc.maxSpikeRateHz) * (1 - 1e-9))
    fail('ifc.t0S', `must be at least 1/maxSpikeRateHz (${1 / p.ifc.maxSpikeRateHz} s)`);
  if (p.ifc.defaultReadV < p.limits.readV.min || p.ifc.defaultReadV > p.limits.readV.max)
    fail('ifc.defaultReadV', 'must lie within limits.readV');
  if (p.ifc.defaultVthV < p.limits.vthV.min || p.ifc.defaultVthV > p.limits.vthV.max)
    fail('ifc.defaultVthV', 'must lie within limits.vthV');
}

/** Load a profile by bundled name or by path to a JSON file. */
export function loadProfile(nameOrPath = 'vlsi19-hfo2-256'): Profile {
  const isPath = nameOrPath.includes('/') || nameOrPath.endsWith('.json');
  const file = isPath ? resolve(nameOrPath) : join(PROFILE_DIR, `${nameOrPath}.json`);
  if (!existsSync(file)) {
    const known = isPath ? '' : ` (known: ${listProfiles().join(', ')})`;
    throw new BenchError('PROFILE_INVALID', `no such chip profile: ${nameOrPath}${known}`, {
      profile: nameOrPath,
    });
  }
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new BenchError('PROFILE_INVALID', `${file}: not valid JSON: ${(e as Error).message}`, {
      source: file,
    });
  }
  return parseProfile(data, file);
}
