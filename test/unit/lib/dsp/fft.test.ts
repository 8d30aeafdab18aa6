// The FFTs against the definition (a naive O(n²) DFT), Parseval's theorem, and sines landing in their bins.
import { describe, expect, it } from "vitest";
import { Fft, isPowerOfTwo, RealFft } from "../../../../lib/dsp/fft.js";

/** Deterministic values in [-1, 1) (xorshift), so a failure can be reproduced. */
function random(n: number, seed = 0x2545f491): Float64Array {
  const out = new Float64Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    out[i] = (x >>> 0) / 2 ** 31 - 1;
  }
  return out;
}

function dft(re: ArrayLike<number>, im: ArrayLike<number>, sign = -1): { re: Float64Array; im: Float64Array } {
  const n = re.length;
  const Re = new Float64Array(n), Im = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let sr = 0, si = 0;
    for (let t = 0; t < n; t++) {
      const a = (sign * 2 * Math.PI * ((k * t) % n)) / n;
      const c = Math.cos(a), s = Math.sin(a);
      sr += re[t] * c - im[t] * s;
      si += re[t] * s + im[t] * c;
    }
    Re[k] = sr; Im[k] = si;
  }
  return { re: Re, im: Im };
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>, len = a.length) => {
  let m = 0;
  for (let i = 0; i < len; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

const SIZES = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048];

describe("Fft (complex, radix-2)", () => {
  it.each(SIZES)("matches the naive DFT on random input, n = %i", (n) => {
    const re = random(n, 1 + n), im = random(n, 7 + n);
    const want = dft(re, im);
    new Fft(n).forward(re, im);
    // The DFT itself rounds at ~n·ε per value; sums of n values of size ≤ 1 reach about n.
    expect(maxDiff(re, want.re)).toBeLessThan(1e-12 * n + 1e-13);
    expect(maxDiff(im, want.im)).toBeLessThan(1e-12 * n + 1e-13);
  });

  it("inverse undoes forward", () => {
    const n = 4096;
    const re0 = random(n, 3), im0 = random(n, 4);
    const re = re0.slice(), im = im0.slice();
    const f = new Fft(n);
    f.forward(re, im);
    f.inverse(re, im);
    expect(maxDiff(re, re0)).toBeLessThan(1e-14);
    expect(maxDiff(im, im0)).toBeLessThan(1e-14);
  });

  it("keeps energy (Parseval): Σ|x|² = Σ|X|²/n", () => {
    const n = 8192;
    const re = random(n, 11), im = random(n, 12);
    let time = 0;
    for (let i = 0; i < n; i++) time += re[i] ** 2 + im[i] ** 2;
    new Fft(n).forward(re, im);
    let freq = 0;
    for (let i = 0; i < n; i++) freq += re[i] ** 2 + im[i] ** 2;
    expect(freq / n / time).toBeCloseTo(1, 12);
  });

  it("works on Float32Array too (to float precision)", () => {
    const n = 256;
    const re64 = random(n, 5), im64 = random(n, 6);
    const re = Float32Array.from(re64), im = Float32Array.from(im64);
    const want = dft(re, im);
    new Fft(n).forward(re, im);
    expect(maxDiff(re, want.re)).toBeLessThan(1e-4);
    expect(maxDiff(im, want.im)).toBeLessThan(1e-4);
  });

  it("refuses sizes that are not powers of two", () => {
    expect(() => new Fft(1000)).toThrow(/power of two/);
    expect(() => new Fft(0)).toThrow(/power of two/);
    expect(() => new RealFft(1)).toThrow(/power of two/);
    expect(() => new RealFft(48)).toThrow(/power of two/);
    expect([1, 2, 1024].every(isPowerOfTwo) && ![0, 3, 1000, 0.5, -2].some(isPowerOfTwo)).toBe(true);
    expect(() => new Fft(8).forward(new Float64Array(4), new Float64Array(8))).toThrow(/at least 8/);
  });
});

describe("RealFft", () => {
  it.each(SIZES.slice(1))("matches the naive DFT of a real frame, n = %i", (n) => {
    const x = Float32Array.from(random(n, 99 + n));
    const want = dft(x, new Float64Array(n));
    const bins = n / 2 + 1;
    const re = new Float64Array(bins), im = new Float64Array(bins);
    const f = new RealFft(n);
    expect(f.bins).toBe(bins);
    f.forward(x, re, im);
    expect(maxDiff(re, want.re, bins)).toBeLessThan(1e-12 * n + 1e-13);
    expect(maxDiff(im, want.im, bins)).toBeLessThan(1e-12 * n + 1e-13);

    const power = new Float32Array(bins), mag = new Float32Array(bins);
    f.power(x, power);
    f.magnitude(x, mag);
    for (let k = 0; k < bins; k++) {
      const p = want.re[k] ** 2 + want.im[k] ** 2;
      expect(Math.abs(power[k] - p)).toBeLessThanOrEqual(1e-6 * Math.max(1, p));
      expect(Math.abs(mag[k] - Math.sqrt(p))).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.sqrt(p)));
    }
  });

  it("keeps energy (Parseval) over the half spectrum", () => {
    const n = 2048;
    const x = Float32Array.from(random(n, 21));
    const p = new Float64Array(n / 2 + 1);
    new RealFft(n).power(x, p);
    let time = 0;
    for (const v of x) time += v * v;
    let freq = p[0] + p[n / 2];
    for (let k = 1; k < n / 2; k++) freq += 2 * p[k];
    expect(freq / n / time).toBeCloseTo(1, 12);
  });

  it("puts a sine's energy in its bin", () => {
    const n = 1024, rate = 11025;
    const frame = (hz: number) => Float32Array.from({ length: n }, (_, t) => Math.sin((2 * Math.PI * hz * t) / rate));
    const peak = (p: Float32Array) => p.indexOf(Math.max(...p));
    const f = new RealFft(n);
    const p = new Float32Array(f.bins);

    f.power(frame((37 * rate) / n), p); // exactly on bin 37: all the energy there, (n/2)² for a unit sine
    expect(peak(p)).toBe(37);
    expect(p[37]).toBeCloseTo((n / 2) ** 2, -1);
    expect(p[36] + p[38]).toBeLessThan(1e-6 * p[37]);

    f.power(frame(440), p); // 440 Hz = bin 40.87
    expect(peak(p)).toBe(41);
    f.power(frame(5000), p); // bin 464.4
    expect(peak(p)).toBe(464);
  });

  it("applies a window while packing, as if the frame had been multiplied by it", () => {
    const n = 512;
    const x = Float32Array.from(random(n, 31)), w = Float32Array.from(random(n, 32));
    const f = new RealFft(n);
    const a = new Float64Array(f.bins), b = new Float64Array(f.bins);
    f.power(x, a, w);
    f.power(Float64Array.from(x, (v, i) => v * w[i]), b);
    expect(maxDiff(a, b)).toBeLessThan(1e-9);
    expect(() => f.power(new Float32Array(100), a)).toThrow(/frame of 100 samples/);
  });
});
