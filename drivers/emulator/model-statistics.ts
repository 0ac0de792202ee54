/**
 * The emulator's own statistics beside the reference it is built to reproduce (aihwkit's
 * ReRamWan2022NoiseModel with its recommended read noise), per conductance band: σ of
 * G(t) − G(0) at 1 s and 1 day, read-noise σ, and the time correlation (spread of
 * G(1 day) − G(1 s)). `rram-bench chip characterize-model` prints it; the population tests
 * assert it.
 *
 * The emulator column is measured: cells of a fresh chip are placed exactly at conductances
 * spread uniformly over each band, at one instant, and their true conductance (relaxation, no
 * read noise) is taken 1 s and 1 day later; read noise from repeated reads. The reference column
 * is computed, not sampled: the published polynomial σ(G) with aihwkit's clamp at 0 µS
 * (truncated-normal moments), averaged over the band.
 */
import { CellArray, Stuck } from './cells.ts';
import { ManualClock } from './clock.ts';
import type { Profile } from './profile.ts';
import { RelaxationTable } from './relaxation.ts';
import { Rng } from './rng.ts';

/** One day (s). */
const DAY = 86400;
/** Chip time at which the cells are written (s). */
const T_WRITE = 1000;

/** A band of conductances (µS). */
export interface Band {
  /** Label, e.g. `1–4 µS`. */
  label: string;
  /** Lower edge (µS). */
  loMicroS: number;
  /** Upper edge (µS). */
  hiMicroS: number;
}

/** The bands of the issue-12 measurement (gMax 40 µS): the floor, two low bands, three points. */
export function defaultBands(gMaxMicroS: number): Band[] {
  const around = (r: number, label: string): Band => ({
    label,
    loMicroS: Math.max(0, (r - 0.025) * gMaxMicroS),
    hiMicroS: Math.min(gMaxMicroS, (r + 0.025) * gMaxMicroS),
  });
  return [
    { label: 'G/gMax≈0.05 (1–2 µS)', loMicroS: 1, hiMicroS: 2 },
    { label: '1–4 µS', loMicroS: 1, hiMicroS: 4 },
    { label: '4–7 µS', loMicroS: 4, hiMicroS: 7 },
    around(0.25, 'G/gMax≈0.25'),
    around(0.5, 'G/gMax≈0.5'),
    { label: 'G/gMax≈1', loMicroS: 0.95 * gMaxMicroS, hiMicroS: gMaxMicroS },
  ];
}

/** Emulator (measured) and reference (computed) figures of one band, µS. */
export interface BandStatistics extends Band {
  /** Cells measured. */
  cells: number;
  /** σ of G(1 s) − G(0). */
  sigma1s: { model: number; reference: number };
  /** σ of G(1 day) − G(0). */
  sigma1d: { model: number; reference: number };
  /** σ of one read around the true conductance. */
  readNoise: { model: number; reference: number };
  /**
   * Spread of G(1 day) − G(1 s): the model's, the diffusive law √(σ1d² − σ1s²) from the
   * reference σs, and what independent draws per time (aihwkit's own sampling) would give.
   */
  drift: { model: number; diffusive: number; independent: number };
  /** Correlation of one cell's G(1 s) − G(0) and G(1 day) − G(0) in the model. */
  correlation: number;
}

/** Options of `modelStatistics`. */
export interface ModelStatisticsOptions {
  /** Cells per band. Default 4000 (σ to ±1.1% standard error). */
  cellsPerBand?: number;
  /** Reads per cell for the read-noise figure. Default 4. */
  readsPerCell?: number;
  /** Seed of the chip. Default 1. */
  seed?: number;
  /** Bands. Default `defaultBands(gMax)`. */
  bands?: Band[];
}

/** Measure the model and compute the reference per band. */
export function modelStatistics(
  profile: Profile,
  options: ModelStatisticsOptions = {},
): BandStatistics[] {
  const n = options.cellsPerBand ?? 4000;
  const reads = options.readsPerCell ?? 4;
  const bands = options.bands ?? defaultBands(profile.conductance.gMaxMicroS);
  const rng = new Rng(options.seed ?? 1);
  const place = new Rng((options.seed ?? 1) ^ 0x51ed);
  const clock = new ManualClock(T_WRITE);
  const cells = new CellArray(profile, rng, clock);
  const relax = new RelaxationTable(profile.relaxation, profile.conductance.gMaxMicroS);
  const out: BandStatistics[] = [];
  let next = 0;
  const groups = bands.map((band) => {
    const ids: number[] = [];
    const g0: number[] = [];
    while (ids.length < n) {
      if (next >= cells.size) throw new RangeError('not enough cells for the requested bands');
      const i = next++;
      if (cells.stuck(i) !== Stuck.No) continue;
      cells.formPulse(i, profile.limits.forming.amplitudeV.max, 1.2, 1e-5);
      const g = band.loMicroS + (band.hiMicroS - band.loMicroS) * place.uniform();
      cells.placeExact(i, g);
      ids.push(i);
      g0.push(cells.conductanceAt(i, T_WRITE));
    }
    return { band, ids, g0 };
  });
  // Read noise is measured two days on, where the relaxation has settled.
  clock.set(T_WRITE + 2 * DAY);
  for (const { band, ids, g0 } of groups) {
    const x1 = ids.map((i, k) => cells.conductanceAt(i, T_WRITE + 1) - g0[k]!);
    const x2 = ids.map((i, k) => cells.conductanceAt(i, T_WRITE + DAY) - g0[k]!);
    const noise: number[] = [];
    for (const i of ids) {
      const g = cells.conductanceAt(i, clock.now());
      for (let r = 0; r < reads; r++) noise.push(cells.read(i) - g);
    }
    const ref1 = referenceSigma(relax, 0, band);
    const ref2 = referenceSigma(relax, timeRow(profile, DAY), band);
    out.push({
      ...band,
      cells: ids.length,
      sigma1s: { model: sd(x1), reference: ref1 },
      sigma1d: { model: sd(x2), reference: ref2 },
      readNoise: { model: sd(noise), reference: referenceReadNoise(profile, band) },
      drift: {
        model: sd(x2.map((v, k) => v - x1[k]!)),
        diffusive: Math.sqrt(Math.max(0, ref2 * ref2 - ref1 * ref1)),
        independent: Math.hypot(ref1, ref2),
      },
      correlation: corr(x1, x2),
    });
  }
  return out;
}

/** Row of `timesS` equal to `t` (throws when the profile does not publish that time). */
function timeRow(p: Profile, t: number): number {
  const k = p.relaxation.timesS.indexOf(t);
  if (k < 0) throw new RangeError(`the profile publishes no σ at ${t} s`);
  return k;
}

/** Points of the midpoint rule over a band. */
const BAND_POINTS = 200;

/**
 * Reference σ of G(t) − G(0) over a band: G0 uniform in the band, G(t) = max(0, G0 + σ_k(G0)·z)
 * (aihwkit clamps at 0), pooled over the band. Exact truncated-normal moments, midpoint rule in G0.
 */
export function referenceSigma(relax: RelaxationTable, k: number, band: Band): number {
  let m1 = 0;
  let m2 = 0;
  for (let q = 0; q < BAND_POINTS; q++) {
    const g = band.loMicroS + ((q + 0.5) / BAND_POINTS) * (band.hiMicroS - band.loMicroS);
    const s = relax.polySigma(k, g);
    if (s === 0) continue;
    // Y = max(s·Z, −g) = s·max(Z, a), a = −g/s.
    const a = -g / s;
    const cdf = normalCdf(a);
    const pdf = Math.exp(-0.5 * a * a) / Math.sqrt(2 * Math.PI);
    m1 += s * (a * cdf + pdf);
    m2 += s * s * (a * a * cdf + 1 - cdf + a * pdf);
  }
  m1 /= BAND_POINTS;
  m2 /= BAND_POINTS;
  return Math.sqrt(Math.max(0, m2 - m1 * m1));
}

/** Reference read-noise σ over a band: √((relative·G)² + additive²), RMS over G uniform in the band. */
export function referenceReadNoise(p: Profile, band: Band): number {
  const { relative: r, additiveMicroS: a } = p.readNoise;
  const { loMicroS: lo, hiMicroS: hi } = band;
  const meanG2 = (hi * hi + hi * lo + lo * lo) / 3;
  return Math.sqrt(r * r * meanG2 + a * a);
}

/** Standard normal CDF (Abramowitz–Stegun 7.1.26 erf, |error| < 1.5e-7). */
function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + y) : 0.5 * (1 - y);
}

function mean(xs: readonly number[]): number {
  return xs.reduce((s, v) => s + v, 0) / xs.length;
}

function sd(xs: readonly number[]): number {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((s, v) => s + (v - m) ** 2, 0) / (xs.length - 1));
}

function corr(a: readonly number[], b: readonly number[]): number {
  const ma = mean(a);
  const mb = mean(b);
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < a.length; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : 0;
}
