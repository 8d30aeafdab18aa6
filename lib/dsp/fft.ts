// Fast Fourier transforms in plain JS, for spectrograms of decoded audio (fingerprints, tempo, key).
// `Fft`: in-place iterative complex FFT — Cooley & Tukey, "An algorithm for the machine calculation
// of complex Fourier series", Math. Comp. 19 (1965) — decimation in time, with radix-4 butterflies:
// after the bit-reversal permutation, a block of 4h values holds the h-point DFTs of the samples
// ≡ 0, 2, 1, 3 (mod 4) of its sub-problem, in that order, and one pass combines them,
//   t0 = A0[j], t1 = W^2j·A2[j], t2 = W^j·A1[j], t3 = W^3j·A3[j]   (W = e^(∓2πi/4h)),
//   X[j] = (t0 + t1) + (t2 + t3),        X[j + 2h] = (t0 + t1) − (t2 + t3),
//   X[j + h] = (t0 − t1) ∓ i·(t2 − t3),  X[j + 3h] = (t0 − t1) ± i·(t2 − t3),
// which does two radix-2 passes' work with three complex multiplications per four values instead of
// four, and half the passes over memory (one radix-2 pass first when log2 n is odd). See e.g.
// P. Duhamel & M. Vetterli, "Fast Fourier transforms: a tutorial review and a state of the art",
// Signal Processing 19 (1990), §3. Twiddles are computed directly with Math.cos/sin (not by
// recurrence, so errors do not accumulate), stored contiguously per pass, and cached per size with
// the bit-reversal table. The passes run on Float64Arrays (a Float32Array is copied in and out), so
// the butterfly loops see one array type.
// `RealFft`: a real frame of n samples as a complex FFT of n/2 points (even samples as the real part,
// odd as the imaginary), written straight into bit-reversed order while packing (no separate
// permutation), then one split pass to the n/2+1 bins of the real signal — about twice as fast as
// transforming the frame with a zero imaginary part.
// Sign convention: X[k] = Σ x[t]·e^(−2πi·kt/n); the inverse divides by n.

interface Tables {
  /** cos(2πk/n), sin(2πk/n) for k < n/2. */
  cos: Float64Array;
  sin: Float64Array;
  /** Bit-reversed index of each i < n. */
  rev: Int32Array;
  /** For each radix-4 pass, by its quarter length h ≥ 2 (blocks of 4h): for j < h, the six values
   * cos θ, sin θ, cos 2θ, sin 2θ, cos 3θ, sin 3θ with θ = 2πj/4h. */
  passes: Map<number, Float64Array>;
}

const tableCache = new Map<number, Tables>();

export function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

function tables(n: number): Tables {
  let t = tableCache.get(n);
  if (t) return t;
  const half = n >> 1;
  const cos = new Float64Array(half);
  const sin = new Float64Array(half);
  for (let k = 0; k < half; k++) {
    cos[k] = Math.cos((2 * Math.PI * k) / n);
    sin[k] = Math.sin((2 * Math.PI * k) / n);
  }
  const rev = new Int32Array(n);
  const bits = Math.log2(n);
  for (let i = 1; i < n; i++) rev[i] = (rev[i >> 1] >> 1) | ((i & 1) << (bits - 1));
  const passes = new Map<number, Float64Array>();
  for (let h = bits & 1 ? 2 : 1; 4 * h <= n; h *= 4) {
    if (h < 2) continue;
    const tw = new Float64Array(6 * h);
    for (let j = 0; j < h; j++) {
      const theta = (2 * Math.PI * j) / (4 * h);
      tw[6 * j] = Math.cos(theta); tw[6 * j + 1] = Math.sin(theta);
      tw[6 * j + 2] = Math.cos(2 * theta); tw[6 * j + 3] = Math.sin(2 * theta);
      tw[6 * j + 4] = Math.cos(3 * theta); tw[6 * j + 5] = Math.sin(3 * theta);
    }
    passes.set(h, tw);
  }
  t = { cos, sin, rev, passes };
  tableCache.set(n, t);
  return t;
}

type Floats = Float64Array | Float32Array;

/**
 * The butterfly passes of an n-point FFT on values already in bit-reversed order, in place; sign −1
 * forward, +1 inverse (unscaled).
 */
function passes(re: Float64Array, im: Float64Array, n: number, t: Tables, sign: number): void {
  let h = 1;
  if (Math.log2(n) & 1) {
    // Size-2 butterflies: the only twiddle is 1.
    for (let a = 0; a + 1 < n; a += 2) {
      const br = re[a + 1], bi = im[a + 1];
      re[a + 1] = re[a] - br; im[a + 1] = im[a] - bi;
      re[a] += br; im[a] += bi;
    }
    h = 2;
  } else if (n >= 4) {
    // Size-4 blocks: all twiddles 1.
    for (let a = 0; a < n; a += 4) {
      const r0 = re[a], i0 = im[a], r1 = re[a + 1], i1 = im[a + 1];
      const r2 = re[a + 2], i2 = im[a + 2], r3 = re[a + 3], i3 = im[a + 3];
      const ar = r0 + r1, ai = i0 + i1, br = r0 - r1, bi = i0 - i1;
      const cr = r2 + r3, ci = i2 + i3, dr = r2 - r3, di = i2 - i3;
      re[a] = ar + cr; im[a] = ai + ci;
      re[a + 2] = ar - cr; im[a + 2] = ai - ci;
      // ∓i·d (forward: −i·d = di − i·dr)
      re[a + 1] = br - sign * di; im[a + 1] = bi + sign * dr;
      re[a + 3] = br + sign * di; im[a + 3] = bi - sign * dr;
    }
    h = 4;
  }
  for (; 4 * h <= n; h *= 4) {
    const tw = t.passes.get(h)!;
    const size = 4 * h;
    for (let b = 0; b < n; b += size) {
      for (let j = 0, i0 = b, w = 0; j < h; j++, i0++, w += 6) {
        const i1 = i0 + h, i2 = i1 + h, i3 = i2 + h;
        // W^m = cos mθ + sign·i·sin mθ
        const c1 = tw[w], s1 = sign * tw[w + 1], c2 = tw[w + 2], s2 = sign * tw[w + 3], c3 = tw[w + 4], s3 = sign * tw[w + 5];
        const r0 = re[i0], q0 = im[i0];
        let xr = re[i1], xi = im[i1];
        const r1 = xr * c2 - xi * s2, q1 = xr * s2 + xi * c2; // W^2j·A2
        xr = re[i2]; xi = im[i2];
        const r2 = xr * c1 - xi * s1, q2 = xr * s1 + xi * c1; // W^j·A1
        xr = re[i3]; xi = im[i3];
        const r3 = xr * c3 - xi * s3, q3 = xr * s3 + xi * c3; // W^3j·A3
        const ar = r0 + r1, ai = q0 + q1, br = r0 - r1, bi = q0 - q1;
        const cr = r2 + r3, ci = q2 + q3, dr = r2 - r3, di = q2 - q3;
        re[i0] = ar + cr; im[i0] = ai + ci;
        re[i2] = ar - cr; im[i2] = ai - ci;
        re[i1] = br - sign * di; im[i1] = bi + sign * dr;
        re[i3] = br + sign * di; im[i3] = bi - sign * dr;
      }
    }
  }
}

/** Complex FFT of a fixed power-of-two size n, in place on separate real and imaginary arrays. */
export class Fft {
  private readonly t: Tables;
  private scratch: { re: Float64Array; im: Float64Array } | null = null;

  constructor(readonly n: number) {
    if (!isPowerOfTwo(n)) throw new RangeError(`FFT size must be a power of two, not ${n}`);
    this.t = tables(n);
  }

  /** X[k] = Σ x[t]·e^(−2πi·kt/n), in place. */
  forward(re: Floats, im: Floats): void {
    this.transform(re, im, -1);
  }

  /** x[t] = (1/n)·Σ X[k]·e^(+2πi·kt/n), in place. */
  inverse(re: Floats, im: Floats): void {
    this.transform(re, im, 1);
    const s = 1 / this.n;
    for (let i = 0; i < this.n; i++) (re[i] *= s), (im[i] *= s);
  }

  private transform(re: Floats, im: Floats, sign: 1 | -1): void {
    const { n } = this;
    if (re.length < n || im.length < n) throw new RangeError(`FFT of size ${n} needs arrays of at least ${n} values`);
    if (re instanceof Float64Array && im instanceof Float64Array) {
      permute(re, im, n, this.t.rev);
      passes(re, im, n, this.t, sign);
      return;
    }
    const s = (this.scratch ??= { re: new Float64Array(n), im: new Float64Array(n) });
    const rev = this.t.rev;
    for (let i = 0; i < n; i++) (s.re[rev[i]] = re[i]), (s.im[rev[i]] = im[i]);
    passes(s.re, s.im, n, this.t, sign);
    for (let i = 0; i < n; i++) (re[i] = s.re[i]), (im[i] = s.im[i]);
  }
}

function permute(re: Float64Array, im: Float64Array, n: number, rev: Int32Array): void {
  for (let i = 1; i < n; i++) {
    const j = rev[i];
    if (i < j) {
      let x = re[i]; re[i] = re[j]; re[j] = x;
      x = im[i]; im[i] = im[j]; im[j] = x;
    }
  }
}

/** FFT of real frames of a fixed power-of-two size n (≥ 2): n/2+1 bins, bin k at k·sampleRate/n Hz. */
export class RealFft {
  readonly bins: number;
  private readonly half: number;
  /** Tables of the n/2-point complex FFT, and of n for the split. */
  private readonly th: Tables;
  private readonly t: Tables;
  private readonly zr: Float64Array;
  private readonly zi: Float64Array;

  constructor(readonly n: number) {
    if (!isPowerOfTwo(n) || n < 2) throw new RangeError(`real FFT size must be a power of two ≥ 2, not ${n}`);
    this.half = n >> 1;
    this.bins = this.half + 1;
    this.th = tables(this.half);
    this.t = tables(n);
    this.zr = new Float64Array(this.half);
    this.zi = new Float64Array(this.half);
  }

  /** Spectrum of `frame` (its first n samples, each multiplied by `window` when given) into the first
   * n/2+1 values of outRe/outIm. */
  forward(frame: ArrayLike<number>, outRe: Floats, outIm: Floats, window?: ArrayLike<number>): void {
    this.run(frame, window);
    if (outRe.length < this.bins || outIm.length < this.bins) throw new RangeError(`need ${this.bins} output bins`);
    const { half, zr, zi } = this;
    const { cos, sin } = this.t;
    outRe[0] = zr[0] + zi[0]; outIm[0] = 0;
    outRe[half] = zr[0] - zi[0]; outIm[half] = 0;
    for (let k = 1; k < half; k++) {
      const ar = zr[k], ai = zi[k], br = zr[half - k], bi = zi[half - k];
      const er = (ar + br) * 0.5, ei = (ai - bi) * 0.5, or = (ai + bi) * 0.5, oi = (br - ar) * 0.5;
      const c = cos[k], s = sin[k];
      outRe[k] = er + c * or + s * oi;
      outIm[k] = ei + c * oi - s * or;
    }
  }

  /** |X[k]|² for k = 0 … n/2 into `out` (no scaling). */
  power(frame: ArrayLike<number>, out: Floats, window?: ArrayLike<number>): void {
    this.run(frame, window);
    if (out.length < this.bins) throw new RangeError(`need ${this.bins} output bins`);
    const { half, zr, zi } = this;
    const { cos, sin } = this.t;
    out[0] = (zr[0] + zi[0]) ** 2;
    out[half] = (zr[0] - zi[0]) ** 2;
    for (let k = 1; k < half; k++) {
      const ar = zr[k], ai = zi[k], br = zr[half - k], bi = zi[half - k];
      const er = (ar + br) * 0.5, ei = (ai - bi) * 0.5, or = (ai + bi) * 0.5, oi = (br - ar) * 0.5;
      const c = cos[k], s = sin[k];
      const r = er + c * or + s * oi, i = ei + c * oi - s * or;
      out[k] = r * r + i * i;
    }
  }

  /** |X[k]| for k = 0 … n/2 into `out`. */
  magnitude(frame: ArrayLike<number>, out: Floats, window?: ArrayLike<number>): void {
    this.power(frame, out, window);
    for (let k = 0; k < this.bins; k++) out[k] = Math.sqrt(out[k]);
  }

  /** Packs even samples as real, odd as imaginary parts, into bit-reversed order, and transforms them
   * (n/2-point FFT). With Z that FFT, E[k] = (Z[k] + conj Z[n/2−k])/2 is the FFT of the even samples
   * and O[k] = (Z[k] − conj Z[n/2−k])/2i that of the odd ones; the callers form X[k] = E[k] + e^(−2πik/n)·O[k]. */
  private run(x: ArrayLike<number>, w?: ArrayLike<number>): void {
    const { n, half, zr, zi } = this;
    const rev = this.th.rev;
    if (x.length < n) throw new RangeError(`frame of ${x.length} samples, the FFT size is ${n}`);
    if (w) {
      if (w.length < n) throw new RangeError(`window of ${w.length} samples, the FFT size is ${n}`);
      for (let m = 0; m < half; m++) {
        const j = rev[m];
        zr[j] = x[2 * m] * w[2 * m];
        zi[j] = x[2 * m + 1] * w[2 * m + 1];
      }
    } else {
      for (let m = 0; m < half; m++) (zr[rev[m]] = x[2 * m]), (zi[rev[m]] = x[2 * m + 1]);
    }
    if (half >= 2) passes(zr, zi, half, this.th, -1);
  }
}
