// Music the tests make: a seeded synthesizer writes song-like audio (a melody over chords and a
// bass line, a drum pattern, each song with its own tempo, key, rhythm and timbre), optionally
// with espeak-ng speech mixed over it, and ffmpeg turns it into any format, copy, cut or noisy
// variant a test needs. Same seed, same song.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

export const SONG_RATE = 22050;

/** Mulberry32: small, fast, seeded. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MAJOR = [0, 2, 4, 5, 7, 9, 11];
const MINOR = [0, 2, 3, 5, 7, 8, 10];

export interface SongOptions {
  /** Beats per minute (default: drawn between 80 and 160). */
  bpm?: number;
  /** Pitch class of the tonic, 0 = C … 11 = B (default: drawn). */
  tonic?: number;
  mode?: "major" | "minor";
  /** Scale degrees (0-based) of the chords, one per bar, repeated (default: four drawn at random). */
  progression?: number[];
  /** Kick on every beat and a snare on 2 and 4 (default: a kick pattern drawn per song). */
  fourOnTheFloor?: boolean;
}

/** A song of `seconds` from `seed`, mono at SONG_RATE, peak about 0.8. */
export function synthSong(seed: number, seconds: number, opts: SongOptions = {}): Float32Array {
  const rnd = prng(seed);
  const n = Math.round(seconds * SONG_RATE);
  const out = new Float32Array(n);
  const drawnBpm = 80 + Math.floor(rnd() * 80);
  const bpm = opts.bpm ?? drawnBpm;
  const beat = 60 / bpm;
  const drawnTonic = 48 + Math.floor(rnd() * 12); // MIDI C3..B3
  const tonic = opts.tonic === undefined ? drawnTonic : 48 + opts.tonic;
  const drawnMinor = rnd() < 0.5;
  const scale = opts.mode ? (opts.mode === "major" ? MAJOR : MINOR) : drawnMinor ? MINOR : MAJOR;
  const hz = (midi: number) => 440 * 2 ** ((midi - 69) / 12);
  const harmonics = [1, 0.3 + rnd() * 0.5, rnd() * 0.4, rnd() * 0.3];
  const note = (start: number, dur: number, f: number, amp: number, decay: number, harm = harmonics) => {
    const s0 = Math.floor(start * SONG_RATE), len = Math.floor(dur * SONG_RATE);
    for (let i = 0; i < len && s0 + i < n; i++) {
      const t = i / SONG_RATE;
      const env = Math.min(1, t * 200) * Math.exp(-t * decay);
      let v = 0;
      for (let h = 0; h < harm.length; h++) if (harm[h]) v += harm[h] * Math.sin(2 * Math.PI * f * (h + 1) * t);
      out[s0 + i] += amp * env * v;
    }
  };
  const degree = (d: number, octave = 0) => tonic + 12 * octave + scale[((d % 7) + 7) % 7] + 12 * Math.floor(d / 7);
  // Chords: a progression of four, one per bar, repeated.
  const drawn = Array.from({ length: 4 }, () => Math.floor(rnd() * 7));
  const progression = opts.progression ?? drawn;
  const bars = Math.ceil(seconds / (4 * beat));
  for (let b = 0; b < bars; b++) {
    const root = progression[b % progression.length];
    for (const d of [0, 2, 4]) note(b * 4 * beat, 4 * beat, hz(degree(root + d)), 0.07, 0.6, [1, 0.2]);
    for (let k = 0; k < 4; k++) note((b * 4 + k) * beat, beat * 0.9, hz(degree(root, -1)), 0.12, 3, [1, 0.5, 0.2]);
  }
  // Melody: eighth and quarter notes drawn from the scale, with rests.
  for (let t = 0; t < seconds;) {
    const dur = beat * (rnd() < 0.6 ? 0.5 : 1);
    if (rnd() > 0.15) note(t, dur * 0.95, hz(degree(Math.floor(rnd() * 10), 1)), 0.16, 2 + rnd() * 4);
    t += dur;
  }
  // Drums: kick on a song-specific pattern, hats on eighths (noise bursts).
  const drawnKicks = Array.from({ length: 8 }, (_, i) => i === 0 || rnd() < 0.3);
  const kickPattern = opts.fourOnTheFloor ? [true, false, true, false, true, false, true, false] : drawnKicks;
  for (let s = 0; s * beat / 2 < seconds; s++) {
    const t0 = Math.floor((s * beat / 2) * SONG_RATE);
    if (opts.fourOnTheFloor && s % 4 === 2) {
      for (let i = 0; i < 0.12 * SONG_RATE && t0 + i < n; i++) out[t0 + i] += 0.25 * Math.exp(-i / (0.03 * SONG_RATE)) * (rnd() * 2 - 1);
    }
    if (kickPattern[s % 8]) {
      for (let i = 0; i < 0.15 * SONG_RATE && t0 + i < n; i++) {
        const t = i / SONG_RATE;
        out[t0 + i] += 0.35 * Math.exp(-t * 30) * Math.sin(2 * Math.PI * (50 + 80 * Math.exp(-t * 40)) * t);
      }
    }
    for (let i = 0; i < 0.03 * SONG_RATE && t0 + i < n; i++) out[t0 + i] += 0.05 * Math.exp(-i / (0.008 * SONG_RATE)) * (rnd() * 2 - 1);
  }
  let peak = 0;
  for (let i = 0; i < n; i++) peak = Math.max(peak, Math.abs(out[i]));
  const g = peak > 0 ? 0.8 / peak : 1;
  for (let i = 0; i < n; i++) out[i] *= g;
  return out;
}

function ffmpeg(args: string[], input?: Buffer): void {
  execFileSync("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", ...args], { input, maxBuffer: 1 << 30 });
}

/** Writes mono samples at SONG_RATE to `file`; the format follows the extension (extra encoder args optional). */
export function writeAudio(file: string, samples: Float32Array, args: string[] = [], tags: Record<string, string> = {}): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const meta = Object.entries(tags).flatMap(([k, v]) => ["-metadata", `${k}=${v}`]);
  ffmpeg(["-f", "f32le", "-ar", String(SONG_RATE), "-ac", "1", "-i", "pipe:0", ...args, ...meta, file],
    Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength));
}

/** Re-encodes `from` into `to` with ffmpeg arguments placed after the input (filters, codec, bit rate). */
export function transcode(from: string, to: string, args: string[] = [], tags: Record<string, string> = {}): void {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  const meta = Object.entries(tags).flatMap(([k, v]) => ["-metadata", `${k}=${v}`]);
  ffmpeg(["-i", from, "-map_metadata", "-1", ...args, ...meta, to]);
}

/** Speech from espeak-ng, written as a WAV file. */
export function speak(file: string, text: string, voice = "en"): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  execFileSync("espeak-ng", ["-v", voice, "-s", "150", "-w", file, text]);
}

/** Mixes `speech` (looped over the whole length) over the music file at `from`, into `to`. */
export function mixSpeech(from: string, speech: string, to: string, args: string[] = []): void {
  ffmpeg(["-i", from, "-stream_loop", "-1", "-i", speech, "-filter_complex",
    "[1:a]aresample=22050,volume=0.9[s];[0:a][s]amix=inputs=2:duration=first:normalize=0[m]", "-map", "[m]", ...args, to]);
}

/** RMS of a decoded file (mono, SONG_RATE): to set noise levels at a given SNR. */
export function rms(file: string, startSec = 0, durationSec = 0): number {
  const raw = execFileSync("ffmpeg", ["-hide_banner", "-loglevel", "error", ...(startSec ? ["-ss", String(startSec)] : []),
    ...(durationSec ? ["-t", String(durationSec)] : []), "-i", file, "-ac", "1", "-ar", String(SONG_RATE), "-f", "f32le", "pipe:1"], { maxBuffer: 1 << 30 });
  const x = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return Math.sqrt(s / Math.max(1, x.length));
}

/**
 * Cuts `durationSec` from `from` at `startSec`, adds white or pink noise at `snrDb` below/above the
 * clip's own level (no noise when snrDb is null), and encodes it to `to`.
 */
export function clip(from: string, to: string, startSec: number, durationSec: number,
  opts: { noise?: "white" | "pink"; snrDb?: number | null; args?: string[]; seed?: number } = {}): void {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  const cut = ["-ss", startSec.toFixed(3), "-t", durationSec.toFixed(3)];
  if (opts.snrDb === undefined || opts.snrDb === null || !opts.noise) {
    ffmpeg([...cut, "-i", from, "-ac", "1", ...(opts.args ?? []), to]);
    return;
  }
  const level = rms(from, startSec, durationSec);
  // anoisesrc's amplitude a gives white noise of RMS a/√3 (uniform) — measured for pink below.
  const noiseRms = level / 10 ** (opts.snrDb / 20);
  const unit = noiseUnitRms(opts.noise);
  ffmpeg([...cut, "-i", from, "-f", "lavfi", "-i",
    `anoisesrc=color=${opts.noise}:amplitude=${Math.min(1, noiseRms / unit).toFixed(6)}:sample_rate=${SONG_RATE}:seed=${opts.seed ?? 7}:duration=${durationSec}`,
    "-filter_complex", "[0:a]aresample=22050,aformat=channel_layouts=mono[a];[a][1:a]amix=inputs=2:duration=first:normalize=0[m]",
    "-map", "[m]", ...(opts.args ?? []), to]);
}

const unitCache = new Map<string, number>();
/** RMS of anoisesrc at amplitude 1 for a colour. */
function noiseUnitRms(color: string): number {
  let v = unitCache.get(color);
  if (v === undefined) {
    const raw = execFileSync("ffmpeg", ["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
      `anoisesrc=color=${color}:amplitude=1:sample_rate=${SONG_RATE}:seed=3:duration=5`, "-f", "f32le", "pipe:1"], { maxBuffer: 1 << 28 });
    const x = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
    let s = 0;
    for (let i = 0; i < x.length; i++) s += x[i] * x[i];
    v = Math.sqrt(s / x.length);
    unitCache.set(color, v);
  }
  return v;
}
