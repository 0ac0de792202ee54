/**
 * Seeded random numbers for the emulator: xoshiro128** for uniforms (32-bit state words, fast in
 * V8's int32 arithmetic) and the Marsaglia–Tsang ziggurat for normals. The state is four words,
 * so it can be saved with the chip and restored: an emulated chip continues the same random
 * sequence after a reload.
 */

/** splitmix32: spreads a seed over the four state words. */
function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) | 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

const ZIG_N = 128;
const ZIG_R = 3.442619855899;
const ZIG_V = 9.91256303526217e-3;
const kn = new Uint32Array(ZIG_N);
const wn = new Float64Array(ZIG_N);
const fn = new Float64Array(ZIG_N);
(function buildZigguratTables() {
  const m1 = 2147483648.0;
  let dn = ZIG_R;
  let tn = dn;
  const q = ZIG_V / Math.exp(-0.5 * dn * dn);
  kn[0] = Math.floor((dn / q) * m1);
  kn[1] = 0;
  wn[0] = q / m1;
  wn[ZIG_N - 1] = dn / m1;
  fn[0] = 1.0;
  fn[ZIG_N - 1] = Math.exp(-0.5 * dn * dn);
  for (let i = ZIG_N - 2; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(ZIG_V / dn + Math.exp(-0.5 * dn * dn)));
    kn[i + 1] = Math.floor((dn / tn) * m1);
    tn = dn;
    fn[i] = Math.exp(-0.5 * dn * dn);
    wn[i] = dn / m1;
  }
})();

/** Inverse normal CDF (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972,
    -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734,
    4.374664141464968, 2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo || p > 1 - lo) {
    const q = Math.sqrt(-2 * Math.log(p < lo ? p : 1 - p));
    const x =
      (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
    return p < lo ? x : -x;
  }
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}

/**
 * 2^16 normal quantiles at (k + ½)/2^16: a uniform 16-bit index into it is a normal variate
 * discretised to 65,536 levels with tails cut at ±4.3σ (variance 0.9999). Used where millions
 * of draws a second are needed and that discretisation is far below the physics' own accuracy
 * (read noise summed into an IFC count).
 */
const QUANTILES = Float32Array.from({ length: 65536 }, (_, k) => normalQuantile((k + 0.5) / 65536));

/** A seeded generator of uniform and normal variates. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** Seed with any 32-bit integer; equal seeds give equal sequences. */
  constructor(seed: number) {
    const sm = splitmix32(seed);
    this.a = sm() | 0;
    this.b = sm() | 0;
    this.c = sm() | 0;
    this.d = sm() | 0;
  }

  /** Next 32-bit unsigned integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9);
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result >>> 0;
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.nextU32() / 4294967296;
  }

  /** Standard normal N(0, 1) (ziggurat). */
  normal(): number {
    for (;;) {
      const hz = this.nextU32() | 0;
      const iz = hz & (ZIG_N - 1);
      if (Math.abs(hz) < kn[iz]!) return hz * wn[iz]!;
      // Slow path: the base strip's tail, or a wedge.
      const x = hz * wn[iz]!;
      if (iz === 0) {
        let xt: number;
        let y: number;
        do {
          xt = -Math.log(1 - this.uniform()) / ZIG_R;
          y = -Math.log(1 - this.uniform());
        } while (y + y < xt * xt);
        return hz > 0 ? ZIG_R + xt : -ZIG_R - xt;
      }
      if (fn[iz]! + this.uniform() * (fn[iz - 1]! - fn[iz]!) < Math.exp(-0.5 * x * x)) return x;
    }
  }

  private spare = -1;

  /**
   * A fast approximately normal variate: one 16-bit half of a 32-bit draw indexes the quantile
   * table (two variates per draw). See QUANTILES for its accuracy.
   */
  quickNormal(): number {
    if (this.spare >= 0) {
      const k = this.spare;
      this.spare = -1;
      return QUANTILES[k]!;
    }
    const u = this.nextU32();
    this.spare = u >>> 16;
    return QUANTILES[u & 0xffff]!;
  }

  /** Fill `out` with N(0, 1) variates. */
  fillNormal(out: Float32Array | Float64Array): void {
    for (let i = 0; i < out.length; i++) out[i] = this.normal();
  }

  /** A new independent generator derived from this one (for a sub-system's own stream). */
  fork(): Rng {
    return new Rng(this.nextU32() ^ 0x5bd1e995);
  }

  /** The four state words, for saving. */
  getState(): [number, number, number, number] {
    this.spare = -1; // a restored generator must continue exactly as this one: no half-used draw
    return [this.a, this.b, this.c, this.d];
  }

  /** Restore state saved by `getState`. */
  setState(s: readonly number[]): void {
    if (s.length !== 4 || s.every((w) => w === 0)) throw new RangeError('bad rng state');
    [this.a, this.b, this.c, this.d] = [s[0]! | 0, s[1]! | 0, s[2]! | 0, s[3]! | 0];
    this.spare = -1;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
