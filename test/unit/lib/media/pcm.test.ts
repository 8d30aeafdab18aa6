// decodePcm against real ffmpeg, on tones made here: the samples that come out are the tone that went
// in (its length, its pitch, its level), by path and as a stream; ffmpeg is gone when the loop stops.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RealFft } from "../../../../lib/dsp/fft.js";
import { hann } from "../../../../lib/dsp/stft.js";
import { FfmpegMissingError } from "../../../../lib/media/ffmpeg.js";
import { decodePcm, decodePcmAll, PcmDecodeError, PcmTooLongError } from "../../../../lib/media/pcm.js";
import { makeTone } from "../../../helpers/audio.js";
import { ffmpegChildren } from "../../../helpers/processes.js";

const RATE = 11025;
let dir: string;
const at = (name: string) => path.join(dir, name);

/** Frequency of the strongest bin of an 8192-point spectrum taken from the middle of `x` (1.35 Hz bins). */
function pitch(x: Float32Array, rate = RATE): number {
  const n = 8192;
  const f = new RealFft(n);
  const p = new Float32Array(f.bins);
  const from = Math.max(0, (x.length >> 1) - n / 2);
  f.power(x.subarray(from, from + n), p, hann(n));
  let best = 1;
  for (let k = 1; k < p.length; k++) if (p[k] > p[best]) best = k;
  return (best * rate) / n;
}

const rms = (x: Float32Array) => Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);

/** What a listener would check: 5 s long, 440 Hz, at lavfi's sine level (amplitude 1/8). */
function expectTone(x: Float32Array, seconds = 5): void {
  expect(Math.abs(x.length - seconds * RATE)).toBeLessThanOrEqual(0.01 * seconds * RATE);
  expect(Math.abs(pitch(x) - 440)).toBeLessThan(RATE / 8192);
  expect(rms(x.subarray(RATE / 10, -RATE / 10))).toBeCloseTo(0.125 / Math.SQRT2, 2);
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "tonearm-pcm-test-"));
  for (const ext of ["flac", "mp3", "m4a", "ogg"]) makeTone(at(`tone.${ext}`), { seconds: 5 });
  makeTone(at("long.flac"), { seconds: 120 });
  execFileSync("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "color=red:size=64x64",
    "-frames:v", "1", at("picture.png")]);
  fs.writeFileSync(at("text.mp3"), "This is a shopping list, not a song.\n".repeat(60));
  fs.copyFileSync(at("text.mp3"), at("notes.txt"));
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("decodePcmAll", () => {
  it.each(["flac", "mp3", "m4a", "ogg"])("decodes a 5 s 440 Hz %s from its path", async (ext) => {
    expectTone(await decodePcmAll(at(`tone.${ext}`), { sampleRate: RATE }));
  });

  it.each(["flac", "mp3", "m4a", "ogg"])("decodes a 5 s 440 Hz %s from a stream", async (ext) => {
    const spools = () => fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith("tonearm-pcm-") && !n.startsWith("tonearm-pcm-test-"));
    const before = spools().length;
    expectTone(await decodePcmAll(fs.createReadStream(at(`tone.${ext}`)), { sampleRate: RATE }));
    expect(spools()).toHaveLength(before); // the m4a went through a temp file, removed since
  });

  it("resamples to the rate asked for", async () => {
    const x = await decodePcmAll(at("tone.flac"), { sampleRate: 8000 });
    expect(Math.abs(x.length - 40_000)).toBeLessThanOrEqual(400);
    expect(Math.abs(pitch(x, 8000) - 440)).toBeLessThan(8000 / 8192);
  });

  it("decodes a part: startSec and durationSec, by path and from a stream", async () => {
    const whole = await decodePcmAll(at("tone.flac"), { sampleRate: RATE });
    for (const input of [at("tone.flac"), fs.createReadStream(at("tone.flac"))]) {
      const part = await decodePcmAll(input, { sampleRate: RATE, startSec: 2, durationSec: 2 });
      expect(part.length).toBe(2 * RATE);
      expect(Math.abs(pitch(part) - 440)).toBeLessThan(RATE / 8192);
      // the same samples as the whole decode from 2 s on (give or take the resampler's edge)
      let diff = 0;
      for (let i = 100; i < part.length - 100; i++) diff = Math.max(diff, Math.abs(part[i] - whole[2 * RATE + i]));
      expect(diff).toBeLessThan(1e-3);
    }
  });

  it("refuses audio longer than maxSeconds and stops ffmpeg", async () => {
    await expect(decodePcmAll(at("long.flac"), { sampleRate: RATE, maxSeconds: 10 })).rejects.toThrow(PcmTooLongError);
    expect(ffmpegChildren()).toEqual([]);
  });
});

describe("decodePcm", () => {
  it("yields blocks of blockSize (the last shorter), the same samples as one decode", async () => {
    const whole = await decodePcmAll(at("tone.flac"), { sampleRate: RATE });
    const parts: Float32Array[] = [];
    for await (const b of decodePcm(at("tone.flac"), { sampleRate: RATE, blockSize: 1001 })) parts.push(b);
    expect(parts.slice(0, -1).every((b) => b.length === 1001)).toBe(true);
    expect(parts.at(-1)!.length).toBeGreaterThan(0);
    expect(parts.at(-1)!.length).toBeLessThanOrEqual(1001);
    const joined = new Float32Array(parts.reduce((s, b) => s + b.length, 0));
    parts.reduce((o, b) => (joined.set(b, o), o + b.length), 0);
    expect(joined).toEqual(whole);
  });

  it.each(["path", "stream"])("stops ffmpeg when the loop breaks early (%s)", async (how) => {
    const stream = how === "stream" ? fs.createReadStream(at("long.flac")) : null;
    let blocks = 0;
    for await (const b of decodePcm(stream ?? at("long.flac"), { sampleRate: RATE })) {
      expect(b.length).toBe(65536);
      expect(ffmpegChildren()).toHaveLength(1); // running, held back by the full pipe
      if (++blocks === 2) break;
    }
    expect(ffmpegChildren()).toEqual([]);
    if (stream) expect(stream.destroyed).toBe(true);
  });

  it("stops ffmpeg on abort and rejects with the reason", async () => {
    const ctl = new AbortController();
    const reason = new Error("user went away");
    let blocks = 0;
    await expect(async () => {
      for await (const _ of decodePcm(at("long.flac"), { sampleRate: RATE, signal: ctl.signal })) {
        if (++blocks === 1) ctl.abort(reason);
      }
    }).rejects.toBe(reason);
    expect(blocks).toBe(1);
    expect(ffmpegChildren()).toEqual([]);
  });

  it("stops ffmpeg on abort while waiting for a stalled stream", async () => {
    const ctl = new AbortController();
    const input = new PassThrough();
    input.write(fs.readFileSync(at("tone.flac")).subarray(0, 4000)); // a beginning, then nothing
    const done = decodePcmAll(input, { sampleRate: RATE, signal: ctl.signal });
    await new Promise((r) => setTimeout(r, 300));
    expect(ffmpegChildren()).toHaveLength(1);
    ctl.abort(new Error("timeout"));
    await expect(done).rejects.toThrow("timeout");
    expect(ffmpegChildren()).toEqual([]);
    expect(input.destroyed).toBe(true);
  });

  it("rejects at once when already aborted, and closes a stream", async () => {
    const signal = AbortSignal.abort(new Error("too late"));
    await expect(decodePcmAll(at("tone.flac"), { sampleRate: RATE, signal })).rejects.toThrow("too late");
    const stream = fs.createReadStream(at("tone.flac"));
    await expect(decodePcmAll(stream, { sampleRate: RATE, signal })).rejects.toThrow("too late");
    expect(stream.destroyed).toBe(true);
  });

  it("passes on the input stream's error", async () => {
    const input = new PassThrough();
    input.write(fs.readFileSync(at("tone.flac")).subarray(0, 4000));
    setTimeout(() => input.destroy(new Error("connection reset")), 100);
    await expect(decodePcmAll(input, { sampleRate: RATE })).rejects.toThrow("connection reset");
    expect(ffmpegChildren()).toEqual([]);
  });
});

describe("decoding failures", () => {
  it.each([
    ["text.mp3", "path", /^ffmpeg could not decode \/.*text\.mp3: mp3: Failed to read frame size/],
    ["text.mp3", "stream", /^ffmpeg could not decode the stream: Invalid data found when processing input$/],
    ["notes.txt", "path", /^ffmpeg could not decode \/.*notes\.txt: no audio stream$/], // ffmpeg reads .txt as a text "video"
    ["notes.txt", "stream", /^ffmpeg could not decode the stream: Invalid data found when processing input$/],
  ])("a text file is refused with ffmpeg's reason (%s, %s)", async (name, how, message) => {
    const input = how === "path" ? at(name) : fs.createReadStream(at(name));
    const err: PcmDecodeError = await decodePcmAll(input, { sampleRate: RATE }).then(() => { throw new Error("decoded"); }, (e) => e);
    expect(err).toBeInstanceOf(PcmDecodeError);
    expect(err.message).toMatch(message);
    expect(err.exitCode).not.toBe(0);
    expect(ffmpegChildren()).toEqual([]);
  });

  it("a picture has no audio stream", async () => {
    await expect(decodePcmAll(at("picture.png"), { sampleRate: RATE })).rejects.toThrow(/picture\.png: no audio stream$/);
  });

  it("a missing file", async () => {
    await expect(decodePcmAll(at("nope.flac"), { sampleRate: RATE })).rejects.toThrow(/No such file or directory/);
  });

  it("a missing ffmpeg binary is FfmpegMissingError", async () => {
    await expect(decodePcmAll(at("tone.flac"), { sampleRate: RATE, bin: path.join(dir, "no-ffmpeg") })).rejects.toThrow(FfmpegMissingError);
  });

  it("bad options", async () => {
    await expect(decodePcmAll(at("tone.flac"), { sampleRate: 0 })).rejects.toThrow(RangeError);
    await expect(decodePcmAll(at("tone.flac"), { sampleRate: 22050.5 })).rejects.toThrow(/sampleRate/);
    await expect(decodePcmAll(at("tone.flac"), { sampleRate: RATE, blockSize: 0 })).rejects.toThrow(/blockSize/);
    await expect(decodePcmAll(at("tone.flac"), { sampleRate: RATE, startSec: -1 })).rejects.toThrow(/startSec/);
  });
});
