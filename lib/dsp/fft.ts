// Fast Fourier transforms in plain JS, for spectrograms of decoded audio (fingerprints, tempo, key).
// `Fft`: in-place iterative radix-2 complex FFT — Cooley & Tukey, "An algorithm for the machine
// calculation of complex Fourier series", Math. Comp. 19 (1965) — decimation in time: bit-reversal
// permutation, then log2(n) butterfly passes. Twiddles (computed directly with Math.cos/sin, not by
// recurrence, so errors do not accumulate) and the bit-reversal table are cached per size.
// `RealFft`: a real frame of n samples as a complex FFT of n/2 points (even samples as the real part,
// odd as the imaginary), then one split pass to the n/2+1 bins of the real signal — about twice as fast
// as transforming the frame with a zero imaginary part.
// Sign convention: X[k] = Σ x[t]·e^(−2πi·kt/n); the inverse divides by n.

interface Tables {
  /** cos(2πk/n), sin(2πk/n) for k < n/2. */
  cos: Float64Array;
  sin: Float64Array;
  /** Bit-reversed index of each i < n. */
  rev: Uint32Array;
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
  const rev = new Uint32Array(n);
  const bits = Math.log2(n);
  for (let i = 1; i < n; i++) rev[i] = (rev[i >> 1] >> 1) | ((i & 1) << (bits - 1));
  t = { cos, sin, rev };
  tableCache.set(n, t);
  return t;
}

type Floats = Float64Array | Float32Array;

/** Complex FFT of a fixed power-of-two size n, in place on separate real and imaginary arrays. */
export class Fft {
  private readonly t: Tables;

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
    const { cos, sin, rev } = this.t;
    for (let i = 1; i < n; i++) {
      const j = rev[i];
      if (i < j) {
        let x = re[i]; re[i] = re[j]; re[j] = x;
        x = im[i]; im[i] = im[j]; im[j] = x;
      }
    }
    // Size-2 butterflies: the only twiddle is 1.
    for (let a = 0; a + 1 < n; a += 2) {
      const br = re[a + 1], bi = im[a + 1];
      re[a + 1] = re[a] - br; im[a + 1] = im[a] - bi;
      re[a] += br; im[a] += bi;
    }
    // Size-4 butterflies: twiddles 1 and ∓i, no multiplications.
    if (n >= 4) {
      for (let a = 0; a < n; a += 4) {
        let br = re[a + 2], bi = im[a + 2];
        re[a + 2] = re[a] - br; im[a + 2] = im[a] - bi;
        re[a] += br; im[a] += bi;
        // (br + i·bi)·(sign·i) = −sign·bi + i·sign·br
        br = re[a + 3]; bi = im[a + 3];
        const xr = -sign * bi, xi = sign * br;
        re[a + 3] = re[a + 1] - xr; im[a + 3] = im[a + 1] - xi;
        re[a + 1] += xr; im[a + 1] += xi;
      }
    }
    for (let size = 8; size <= n; size <<= 1) {
      const half = size >> 1;
      const step = n / size;
      for (let j = 0, k = 0; j < half; j++, k += step) {
        const wr = cos[k], wi = sign * sin[k];
        for (let a = j; a < n; a += size) {
          const b = a + half;
          const xr = re[b] * wr - im[b] * wi;
          const xi = re[b] * wi + im[b] * wr;
          re[b] = re[a] - xr; im[b] = im[a] - xi;
          re[a] += xr; im[a] += xi;
        }
      }
    }
  }
}

/** FFT of real frames of a fixed power-of-two size n (≥ 2): n/2+1 bins, bin k at k·sampleRate/n Hz. */
export class RealFft {
  readonly bins: number;
  private readonly half: number;
  private readonly fft: Fft | null;
  private readonly t: Tables;
  private readonly zr: Float64Array;
  private readonly zi: Float64Array;

  constructor(readonly n: number) {
    if (!isPowerOfTwo(n) || n < 2) throw new RangeError(`real FFT size must be a power of two ≥ 2, not ${n}`);
    this.half = n >> 1;
    this.bins = this.half + 1;
    this.fft = this.half >= 2 ? new Fft(this.half) : null;
    this.t = tables(n);
    this.zr = new Float64Array(this.half);
    this.zi = new Float64Array(this.half);
  }

  /** Spectrum of `frame` (its first n samples, each multiplied by `window` when given) into the first
   * n/2+1 values of outRe/outIm. */
  forward(frame: ArrayLike<number>, outRe: Floats, outIm: Floats, window?: ArrayLike<number>): void {
    this.run(frame, window);
    if (outRe.length < this.bins || outIm.length < this.bins) throw new RangeError(`need ${this.bins} output bins`);
    this.split((k, r, i) => ((outRe[k] = r), (outIm[k] = i)));
  }

  /** |X[k]|² for k = 0 … n/2 into `out` (no scaling). */
  power(frame: ArrayLike<number>, out: Floats, window?: ArrayLike<number>): void {
    this.run(frame, window);
    if (out.length < this.bins) throw new RangeError(`need ${this.bins} output bins`);
    this.split((k, r, i) => void (out[k] = r * r + i * i));
  }

  /** |X[k]| for k = 0 … n/2 into `out`. */
  magnitude(frame: ArrayLike<number>, out: Floats, window?: ArrayLike<number>): void {
    this.run(frame, window);
    if (out.length < this.bins) throw new RangeError(`need ${this.bins} output bins`);
    this.split((k, r, i) => void (out[k] = Math.sqrt(r * r + i * i)));
  }

  /** Packs even samples as real, odd as imaginary parts, and transforms them (n/2-point FFT). */
  private run(x: ArrayLike<number>, w?: ArrayLike<number>): void {
    const { n, half, zr, zi } = this;
    if (x.length < n) throw new RangeError(`frame of ${x.length} samples, the FFT size is ${n}`);
    if (w) {
      if (w.length < n) throw new RangeError(`window of ${w.length} samples, the FFT size is ${n}`);
      for (let m = 0; m < half; m++) (zr[m] = x[2 * m] * w[2 * m]), (zi[m] = x[2 * m + 1] * w[2 * m + 1]);
    } else {
      for (let m = 0; m < half; m++) (zr[m] = x[2 * m]), (zi[m] = x[2 * m + 1]);
    }
    this.fft?.forward(zr, zi);
  }

  /** With Z the n/2-point FFT of the packed frame, E[k] = (Z[k] + conj Z[n/2−k])/2 is the FFT of the even
   * samples and O[k] = (Z[k] − conj Z[n/2−k])/2i that of the odd ones; X[k] = E[k] + e^(−2πik/n)·O[k]. */
  private split(emit: (k: number, re: number, im: number) => void): void {
    const { half, zr, zi } = this;
    const { cos, sin } = this.t;
    emit(0, zr[0] + zi[0], 0);
    emit(half, zr[0] - zi[0], 0);
    for (let k = 1; k < half; k++) {
      const ar = zr[k], ai = zi[k], br = zr[half - k], bi = zi[half - k];
      const er = (ar + br) * 0.5, ei = (ai - bi) * 0.5;
      const or = (ai + bi) * 0.5, oi = (br - ar) * 0.5;
      const c = cos[k], s = sin[k]; // e^(−2πik/n) = c − i·s
      emit(k, er + c * or + s * oi, ei + c * oi - s * or);
    }
  }
}
