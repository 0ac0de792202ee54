/**
 * The NoiseModel: what characterisation measured about one chip, in the form noise-aware
 * retraining consumes — relaxation σ as a function of conductance and time since programming,
 * relative read noise, the stuck-cell map, per-column readout gain and offset. Plain data
 * inside (`toJSON`), validated on the way in (`fromJSON` throws INVALID_ARGUMENT naming the field).
 */
import { z } from 'zod';
import { BenchError } from '../../drivers/driver.ts';

const finite = z.number().refine(Number.isFinite, 'must be finite');
const nonNeg = finite.refine((v) => v >= 0, 'must be ≥ 0');
const count = z.number().int().min(0);

const schema = z
  .object({
    format: z.literal('rram-bench.noise-model'),
    version: z.literal(1),
    /** The chip it was measured on. */
    chip: z.object({ model: z.string(), serial: z.string(), rows: count, cols: count }).strict(),
    /** Chip time at the end of the characterisation (s). */
    measuredAtS: finite,
    /** The chip's conductance window (µS). */
    conductanceWindowMicroS: z.object({ min: finite, max: finite }).strict(),
    readNoise: z
      .object({
        /** σ of one read relative to G (proportional part). */
        relative: nonNeg,
        /** Additive σ of one read (µS), independent of G. Default 0 (models saved before it). */
        additiveMicroS: nonNeg.default(0),
        /** Cells and repeated reads it was estimated from. */
        cells: count,
        reads: count,
      })
      .strict(),
    relaxation: z
      .object({
        /** Band centres: mean programmed conductance of each band (µS), ascending. */
        gMicroS: z.array(finite).min(1),
        /** Times after programming the bands were read at (s), ascending. */
        timesS: z.array(finite.refine((v) => v > 0, 'must be > 0')).min(1),
        /** σ of G(t) − G(programmed) (µS), read noise removed: one row per time, one entry per band. */
        sigmaMicroS: z.array(z.array(nonNeg)),
        /** Cells behind each entry of sigmaMicroS. */
        cells: z.array(z.array(count)),
      })
      .strict()
      .refine(
        (r) => r.sigmaMicroS.length === r.timesS.length && r.cells.length === r.timesS.length,
        {
          message: 'sigmaMicroS and cells need one row per entry of timesS',
        },
      )
      .refine(
        (r) =>
          r.sigmaMicroS.every(
            (row, i) => row.length === r.gMicroS.length && r.cells[i]?.length === r.gMicroS.length,
          ),
        {
          message: 'each row needs one entry per band of gMicroS',
        },
      )
      .refine((r) => r.gMicroS.every((g, i) => i === 0 || g > r.gMicroS[i - 1]!), {
        message: 'gMicroS must ascend',
      })
      .refine((r) => r.timesS.every((t, i) => i === 0 || t > r.timesS[i - 1]!), {
        message: 'timesS must ascend',
      }),
    stuck: z
      .object({
        /** The region tested (chip coordinates). */
        region: z.object({ row: count, col: count, rows: count, cols: count }).strict(),
        /** Stuck fraction of the tested cells. */
        fraction: nonNeg,
        /** Share of stuck cells stuck low. */
        lowShare: nonNeg,
        /** The stuck cells (chip coordinates). */
        cells: z.array(
          z.object({ row: count, col: count, level: z.enum(['low', 'high']) }).strict(),
        ),
      })
      .strict(),
    /** Per-physical-column readout gain and offset (linear counts at `precisionBits`); null when not measured. */
    columns: z
      .object({
        precisionBits: z.number().int().min(1).max(8),
        gain: z.array(finite),
        offset: z.array(finite),
        /** Relative σ of the gains over fitted columns. */
        gainSpread: nonNeg,
        /** σ of the offsets over fitted columns, as a fraction of full scale (2^b − 1). */
        offsetSpread: nonNeg,
        /** The readout transfer fitted with them: counts per µS·pulse (linear region). */
        countsPerMicroSPulse: finite.optional(),
        /** Its saturation count (null: linear readout). */
        saturationCount: finite.nullable().optional(),
      })
      .strict()
      .refine((c) => c.gain.length === c.offset.length, {
        message: 'gain and offset need one entry per column',
      })
      .nullable(),
  })
  .strict();

/** The serialised form of a NoiseModel. */
export type NoiseModelJson = z.infer<typeof schema>;

/** Interpolate `ys` over ascending `xs` at `x`, linearly, clamped at the ends. */
function interpolate(xs: readonly number[], ys: readonly number[], x: number): number {
  const n = xs.length;
  if (n === 1 || x <= xs[0]!) return ys[0]!;
  if (x >= xs[n - 1]!) return ys[n - 1]!;
  let j = 0;
  while (x > xs[j + 1]!) j++;
  const w = (x - xs[j]!) / (xs[j + 1]! - xs[j]!);
  return ys[j]! + w * (ys[j + 1]! - ys[j]!);
}

/** A chip's measured noise. */
export class NoiseModel {
  private readonly stuckSet: Map<number, 'low' | 'high'>;

  constructor(readonly data: NoiseModelJson) {
    this.stuckSet = new Map(data.stuck.cells.map((c) => [c.row * data.chip.cols + c.col, c.level]));
  }

  /**
   * Relaxation σ (µS) of a cell programmed to `gMicroS`, `tS` seconds after programming: linear
   * in G between band centres, linear in log10(t) between measured times, clamped outside both
   * (before the first time σ is the first time's: a conservative choice for retraining).
   */
  relaxationSigma(gMicroS: number, tS: number): number {
    const r = this.data.relaxation;
    const atTime = r.sigmaMicroS.map((row) => interpolate(r.gMicroS, row, gMicroS));
    const logT = r.timesS.map((t) => Math.log10(t));
    return interpolate(logT, atTime, Math.log10(Math.max(tS, Number.MIN_VALUE)));
  }

  /** σ (µS) of a read of a cell at `gMicroS` averaged over `average` reads. */
  readSigma(gMicroS: number, average = 1): number {
    const { relative, additiveMicroS } = this.data.readNoise;
    const rel = relative * Math.abs(gMicroS);
    return Math.sqrt(rel * rel + additiveMicroS * additiveMicroS) / Math.sqrt(Math.max(1, average));
  }

  /** `low`, `high`, or undefined when the cell (chip coordinates) was not found stuck. */
  stuckAt(row: number, col: number): 'low' | 'high' | undefined {
    return this.stuckSet.get(row * this.data.chip.cols + col);
  }

  /** The serialisable form (a deep copy). */
  toJSON(): NoiseModelJson {
    return structuredClone(this.data);
  }

  /** Validate parsed JSON into a NoiseModel; throws INVALID_ARGUMENT naming the first bad field. */
  static fromJSON(json: unknown): NoiseModel {
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const path = issue?.path.join('.') || '(root)';
      throw new BenchError(
        'INVALID_ARGUMENT',
        `noise model: ${path}: ${issue?.message ?? 'invalid'}`,
        { field: path },
      );
    }
    return new NoiseModel(parsed.data);
  }
}
