// The STFT on synthesized signals: a tone and a sweep are found at the right frequency in every frame,
// and the frames do not depend on how the samples were cut into blocks.
import { describe, expect, it } from "vitest";
import { binHz, hann, spectrogram, Stft, stft } from "../../../../lib/dsp/stft.js";

const RATE = 11025;
const N = 1024;
const HOP = 256;

const peak = (p: Float32Array) => {
  let best = 0;
  for (let k = 1; k < p.length; k++) if (p[k] > p[best]) best = k;
  return best;
};

function tone(hz: number, seconds: number, amplitude = 1): Float32Array {
  return Float32Array.from({ length: Math.round(seconds * RATE) }, (_, t) => amplitude * Math.sin((2 * Math.PI * hz * t) / RATE));
}

/** Linear sweep from f0 to f1 Hz over `seconds`; its frequency at sample t is f0 + (f1 − f0)·t/len. */
function sweep(f0: number, f1: number, seconds: number): Float32Array {
  const T = seconds;
  return Float32Array.from({ length: Math.round(seconds * RATE) }, (_, i) => {
    const t = i / RATE;
    return Math.sin(2 * Math.PI * (f0 * t + ((f1 - f0) * t * t) / (2 * T)));
  });
}

/** Cuts `x` into blocks of the given sizes, cycling through them. */
function* blocks(x: Float32Array, sizes: number[]): Generator<Float32Array> {
  for (let at = 0, i = 0; at < x.length; i++) {
    const size = sizes[i % sizes.length];
    yield x.subarray(at, at + size);
    at += size;
  }
}

function collect(x: Float32Array, sizes: number[], n = N, hop = HOP): Float32Array[] {
  const s = new Stft({ n, hop });
  const out: Float32Array[] = [];
  for (const b of blocks(x, sizes)) for (const p of s.push(b)) out.push(p.slice());
  return out;
}

describe("hann", () => {
  it("is the periodic Hann window", () => {
    const w = hann(8);
    expect(Array.from(w, (v) => +v.toFixed(6))).toEqual([0, 0.146447, 0.5, 0.853553, 1, 0.853553, 0.5, 0.146447]);
  });
});

describe("Stft", () => {
  it("finds a 1 kHz tone in every frame, at the level a Hann window gives", () => {
    const x = tone(1000, 2, 0.5);
    const frames = spectrogram(x, { n: N, hop: HOP });
    expect(frames).toHaveLength(Math.floor((x.length - N) / HOP) + 1);
    const expected = Math.round((1000 * N) / RATE); // 92.88 → 93
    for (const p of frames) {
      expect(p).toHaveLength(N / 2 + 1);
      expect(peak(p)).toBe(expected);
    }
    // On a bin centre the Hann-windowed amplitude is A·n/4; here the tone sits 0.12 bins off (−0.2 dB).
    const exact = tone(binHz(93, N, RATE), 1, 0.5);
    expect(Math.sqrt(spectrogram(exact, { n: N, hop: HOP })[3][93])).toBeCloseTo((0.5 * N) / 4, 0);
  });

  it("follows a sweep from 300 Hz to 3 kHz frame by frame", () => {
    const seconds = 5;
    const x = sweep(300, 3000, seconds);
    const frames = spectrogram(x, { n: N, hop: HOP });
    expect(frames.length).toBeGreaterThan(200);
    frames.forEach((p, i) => {
      const centre = (i * HOP + N / 2) / RATE;
      const hz = 300 + ((3000 - 300) * centre) / seconds;
      expect(Math.abs(binHz(peak(p), N, RATE) - hz)).toBeLessThanOrEqual(binHz(1, N, RATE));
    });
  });

  it.each([
    { n: N, hop: HOP },
    { n: 512, hop: 512 },
    { n: 256, hop: 1000 }, // hop > n: samples between frames are skipped
    { n: 64, hop: 1 },
  ])("gives identical frames whatever the block sizes (n = $n, hop = $hop)", ({ n, hop }) => {
    const x = sweep(100, 4000, hop === 1 ? 0.1 : 1.3);
    const whole = spectrogram(x, { n, hop });
    expect(whole).toHaveLength(Math.floor((x.length - n) / hop) + 1);
    for (const sizes of [[1], [7], [hop], [n - 1], [n], [n + 1], [65536], [3, 5000, 17, 1024, 250, 2049]]) {
      const got = collect(x, sizes, n, hop);
      expect(got.length, `blocks ${sizes}`).toBe(whole.length);
      got.forEach((p, i) => expect(p, `frame ${i}, blocks ${sizes}`).toEqual(whole[i]));
    }
  });

  it("yields one reused array and counts frames", () => {
    const s = new Stft({ n: 256, hop: 128 });
    const seen = new Set<Float32Array>();
    for (const p of s.push(tone(440, 0.2))) seen.add(p);
    expect(seen.size).toBe(1);
    expect(s.frames).toBe(Math.floor((Math.round(0.2 * RATE) - 256) / 128) + 1);
    expect(s.bins).toBe(129);
  });

  it("gives no frame for a signal shorter than n", () => {
    expect(spectrogram(new Float32Array(N - 1), { n: N, hop: HOP })).toEqual([]);
  });

  it("refuses bad options", () => {
    expect(() => new Stft({ n: 1000, hop: 256 })).toThrow(/power of two/);
    expect(() => new Stft({ n: 1024, hop: 0 })).toThrow(/hop/);
    expect(() => new Stft({ n: 1024, hop: 256, window: hann(512) })).toThrow(/window/);
  });
});

describe("stft (streamed)", () => {
  it("takes async blocks and gives the same frames", async () => {
    const x = sweep(200, 2000, 1);
    async function* source() {
      for (const b of blocks(x, [1000, 333])) {
        await new Promise((r) => setImmediate(r));
        yield b;
      }
    }
    const got: Float32Array[] = [];
    for await (const p of stft(source(), { n: N, hop: HOP })) got.push(p.slice());
    expect(got).toEqual(spectrogram(x, { n: N, hop: HOP }));
  });

  it("returns the source when the loop stops early", async () => {
    let closed = false;
    let pulled = 0;
    async function* source() {
      try {
        for (;;) {
          pulled++;
          yield tone(440, 0.5);
        }
      } finally {
        closed = true;
      }
    }
    let frames = 0;
    for await (const p of stft(source(), { n: N, hop: HOP })) {
      expect(p).toHaveLength(N / 2 + 1);
      if (++frames === 30) break;
    }
    expect(closed).toBe(true);
    expect(pulled).toBe(2);
  });
});
