// Short-time Fourier transform over audio that arrives in blocks (as decodePcm yields it): frames of
// n samples every hop samples, Hann-windowed, each turned into a power spectrum of n/2+1 bins.
// Frames may span any number of blocks; the output does not depend on how the samples were split.
// Frame i covers samples [i·hop, i·hop + n): no centring or padding, so a signal of L ≥ n samples gives
// floor((L − n)/hop) + 1 frames, and a trailing part shorter than a frame is dropped.
// Buffer ownership: every yielded spectrum is the same Float32Array, overwritten by the next frame.
// Copy it (`Float32Array.from`/`slice`) to keep it.
import { isPowerOfTwo, RealFft } from "./fft.js";

export interface StftOptions {
  /** Frame length (FFT size), a power of two. */
  n: number;
  /** Samples between frame starts (1 … any; hop > n skips samples between frames). */
  hop: number;
  /** Window of n values; default the periodic Hann window. */
  window?: Float32Array;
}

/** Periodic Hann window, w[i] = 0.5 − 0.5·cos(2πi/n) (the one that overlap-adds to a constant at hop n/2, n/4). */
export function hann(n: number): Float32Array {
  const w = new Float32Array(n);
  for (let i = 0; i < n; i++) w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n);
  return w;
}

/** Frequency in Hz at the centre of bin k. */
export function binHz(k: number, n: number, sampleRate: number): number {
  return (k * sampleRate) / n;
}

/** Incremental STFT: feed blocks with push(), take the spectra it yields. */
export class Stft {
  readonly n: number;
  readonly hop: number;
  readonly bins: number;
  /** Frames produced so far; inside a loop over push(), the frame just yielded is frames − 1. */
  frames = 0;
  private readonly fft: RealFft;
  private readonly window: Float32Array;
  private readonly frame: Float32Array;
  private readonly out: Float32Array;
  private filled = 0;
  private skip = 0;

  constructor({ n, hop, window }: StftOptions) {
    if (!isPowerOfTwo(n) || n < 2) throw new RangeError(`STFT size n must be a power of two ≥ 2, not ${n}`);
    if (!Number.isInteger(hop) || hop < 1) throw new RangeError(`hop must be a positive integer, not ${hop}`);
    if (window && window.length !== n) throw new RangeError(`window has ${window.length} values, n is ${n}`);
    this.n = n;
    this.hop = hop;
    this.fft = new RealFft(n);
    this.bins = this.fft.bins;
    this.window = window ?? hann(n);
    this.frame = new Float32Array(n);
    this.out = new Float32Array(this.bins);
  }

  /** Adds samples; yields the power spectrum of every frame they complete (always the same array). */
  *push(block: Float32Array): Generator<Float32Array, void, undefined> {
    const { n, hop, frame } = this;
    let at = 0;
    while (at < block.length) {
      if (this.skip > 0) {
        const s = Math.min(this.skip, block.length - at);
        this.skip -= s;
        at += s;
        continue;
      }
      if (this.filled === 0 && block.length - at >= n) {
        // Whole frames inside this block: transform them straight from it, no copy.
        for (; block.length - at >= n; at += hop) {
          yield this.spectrum(block.subarray(at, at + n));
          if (hop > n) {
            this.skip = Math.max(0, at + hop - block.length);
            if (this.skip > 0) return;
          }
        }
        continue;
      }
      const take = Math.min(n - this.filled, block.length - at);
      frame.set(block.subarray(at, at + take), this.filled);
      this.filled += take;
      at += take;
      if (this.filled < n) break;
      yield this.spectrum(frame);
      if (hop < n) {
        frame.copyWithin(0, hop);
        this.filled = n - hop;
      } else {
        this.filled = 0;
        this.skip = hop - n;
      }
    }
  }

  private spectrum(samples: Float32Array): Float32Array {
    this.fft.power(samples, this.out, this.window);
    this.frames++;
    return this.out;
  }
}

/** STFT of a stream of blocks (sync or async, e.g. decodePcm's). Leaving the loop early returns the
 * source iterator too (decodePcm then stops ffmpeg). The yielded array is reused: copy it to keep it. */
export async function* stft(
  blocks: AsyncIterable<Float32Array> | Iterable<Float32Array>,
  opts: StftOptions,
): AsyncGenerator<Float32Array, void, undefined> {
  const s = new Stft(opts);
  for await (const block of blocks) yield* s.push(block);
}

/** Every frame's power spectrum of an in-memory signal, copied (for short clips and tests). */
export function spectrogram(samples: Float32Array, opts: StftOptions): Float32Array[] {
  return Array.from(new Stft(opts).push(samples), (p) => p.slice());
}
