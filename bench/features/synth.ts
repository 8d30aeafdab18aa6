// Songs with a known truth, synthesized here, for bench/features and the lib/features tests: a drum
// kit (kick, snare, closed and open hi-hat) playing a 4/4 pattern at a known tempo, over a chord
// progression in a known key (bass, chords, an optional melody or sung line), in a choice of timbres.
// Everything is drawn from a seeded PRNG (bench/lib/prng.ts), so a spec gives the same samples every
// time.
//
// The drum sounds are the textbook analogue-drum recipes: the kick a sine whose pitch falls quickly
// (150 → 50 Hz) with an exponential decay and a click on top; the snare two shell modes (160–240 Hz
// and 1.6× that) plus a burst of noise band-passed around 1–3 kHz (the wires); hi-hats high-passed
// noise with a short (closed) or long (open) decay. Pitched parts are additive (harmonic partials with
// amplitudes 1/h^p) read from one-period wavetables, with envelopes for pad, piano-like, organ and
// plucked sounds; the sung line has vibrato, glides and two vowel formants. The beat is the quarter
// note: every pattern has the snare (or clap) on beats 2 and 4 — a backbeat — so the tempo is not
// ambiguous by a factor 2.
import { spawn } from "node:child_process";
import { Rng } from "../lib/prng.js";

export const PITCH_CLASSES = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"] as const;
export type Mode = "major" | "minor";

/** 16 steps per bar (sixteenth notes); velocities 0 … 1. */
export interface DrumPattern {
  name: string;
  kick: number[];
  snare: number[];
  closedHat: number[];
  openHat: number[];
}

const steps = (hits: Record<number, number>): number[] => Array.from({ length: 16 }, (_, i) => hits[i] ?? 0);
const every = (from: number, step: number, v: number, accent?: number): number[] =>
  Array.from({ length: 16 }, (_, i) => (i >= from && (i - from) % step === 0 ? (accent !== undefined && i % 4 === 0 ? accent : v) : 0));

/** 4/4 patterns, all with a backbeat (snare or clap on beats 2 and 4). */
export const PATTERNS: DrumPattern[] = [
  { name: "rock", kick: steps({ 0: 1, 8: 1 }), snare: steps({ 4: 1, 12: 1 }), closedHat: every(0, 2, 0.6), openHat: steps({}) },
  { name: "rock-push", kick: steps({ 0: 1, 8: 0.9, 10: 0.8 }), snare: steps({ 4: 1, 12: 1 }), closedHat: every(0, 2, 0.55), openHat: steps({}) },
  { name: "four-on-the-floor", kick: steps({ 0: 1, 4: 1, 8: 1, 12: 1 }), snare: steps({ 4: 0.9, 12: 0.9 }), closedHat: steps({}), openHat: steps({ 2: 0.5, 6: 0.5, 10: 0.5, 14: 0.5 }) },
  { name: "sixteenths", kick: steps({ 0: 1, 7: 0.7, 8: 1 }), snare: steps({ 4: 1, 12: 1 }), closedHat: every(0, 1, 0.35, 0.6), openHat: steps({}) },
  { name: "funk", kick: steps({ 0: 1, 3: 0.7, 10: 0.9 }), snare: steps({ 4: 1, 7: 0.25, 9: 0.25, 12: 1 }), closedHat: every(0, 1, 0.3, 0.55), openHat: steps({}) },
  { name: "syncopated", kick: steps({ 0: 1, 6: 0.8, 11: 0.8 }), snare: steps({ 4: 1, 12: 1 }), closedHat: every(0, 2, 0.5), openHat: steps({ 14: 0.45 }) },
  { name: "breakbeat", kick: steps({ 0: 1, 10: 0.9 }), snare: steps({ 4: 1, 12: 1, 15: 0.3 }), closedHat: every(0, 2, 0.5), openHat: steps({}) },
  { name: "quarter-hats", kick: steps({ 0: 1, 8: 1, 9: 0.6 }), snare: steps({ 4: 1, 12: 1 }), closedHat: every(0, 4, 0.6), openHat: steps({}) },
];

export type Timbre = "pad" | "piano" | "organ" | "pluck" | "strings";
export const TIMBRES: Timbre[] = ["pad", "piano", "organ", "pluck", "strings"];

/** A chord: root (semitones above the tonic) and intervals above the root. */
interface Chord {
  root: number;
  intervals: number[];
}
const MAJ = [0, 4, 7];
const MIN = [0, 3, 7];
/** Progressions that leave no doubt about the key: they start and end on the tonic, and the minor ones
 * use the major dominant (harmonic minor), as most minor-key music does. */
export const PROGRESSIONS: Record<Mode, Chord[][]> = {
  major: [
    [{ root: 0, intervals: MAJ }, { root: 5, intervals: MAJ }, { root: 7, intervals: MAJ }, { root: 0, intervals: MAJ }],
    [{ root: 0, intervals: MAJ }, { root: 9, intervals: MIN }, { root: 5, intervals: MAJ }, { root: 7, intervals: MAJ }],
    [{ root: 0, intervals: MAJ }, { root: 7, intervals: MAJ }, { root: 9, intervals: MIN }, { root: 5, intervals: MAJ }],
    [{ root: 0, intervals: MAJ }, { root: 2, intervals: MIN }, { root: 7, intervals: [0, 4, 7, 10] }, { root: 0, intervals: MAJ }],
  ],
  minor: [
    [{ root: 0, intervals: MIN }, { root: 5, intervals: MIN }, { root: 7, intervals: MAJ }, { root: 0, intervals: MIN }],
    [{ root: 0, intervals: MIN }, { root: 8, intervals: MAJ }, { root: 5, intervals: MIN }, { root: 7, intervals: MAJ }],
    [{ root: 0, intervals: MIN }, { root: 10, intervals: MAJ }, { root: 8, intervals: MAJ }, { root: 7, intervals: MAJ }],
    [{ root: 0, intervals: MIN }, { root: 5, intervals: MIN }, { root: 0, intervals: MIN }, { root: 7, intervals: [0, 4, 7, 10] }],
  ],
};
const SCALES: Record<Mode, number[]> = { major: [0, 2, 4, 5, 7, 9, 11], minor: [0, 2, 3, 5, 7, 8, 11] };

export interface SongSpec {
  seconds: number;
  /** Output rate; default 44100. */
  sampleRate?: number;
  bpm: number;
  /** Pitch class of the tonic, 0 = C. */
  tonic: number;
  mode: Mode;
  /** Index into PROGRESSIONS[mode]; default 0. */
  progression?: number;
  /** Index into PATTERNS, or null for no drums; default 0. */
  pattern?: number | null;
  timbre?: Timbre;
  /** Deviation of the whole song from A = 440 Hz, in cents. */
  tuningCents?: number;
  /** Beats per chord; default 4 (one bar). */
  chordBeats?: number;
  melody?: boolean;
  /** A sung line instead of (or with) the melody: a voice-like source with vibrato and glides. */
  voice?: boolean;
  bass?: boolean;
  /** Levels in dB (defaults 0). */
  drumsDb?: number;
  harmonyDb?: number;
  /** Peak level of the result in dBFS; default −1. */
  peakDb?: number;
  seed?: number;
}

/** Stereo samples (left, right) of the song. */
export function synthesize(spec: SongSpec): [Float32Array, Float32Array] {
  const rate = spec.sampleRate ?? 44100;
  const len = Math.round(spec.seconds * rate);
  const rng = new Rng(spec.seed ?? 1);
  const L = new Float32Array(len);
  const R = new Float32Array(len);
  const beat = 60 / spec.bpm;
  const drumGain = 10 ** ((spec.drumsDb ?? 0) / 20);
  const harmGain = 10 ** ((spec.harmonyDb ?? 0) / 20);

  // Drums
  const patternIndex = spec.pattern === undefined ? 0 : spec.pattern;
  if (patternIndex !== null) {
    const p = PATTERNS[patternIndex];
    const kit = {
      kickHi: 110 + rng.next() * 90, kickLo: 42 + rng.next() * 18, kickDecay: 0.15 + rng.next() * 0.25, kickBend: 0.02 + rng.next() * 0.03,
      snareTone: 160 + rng.next() * 80, snareDecay: 0.08 + rng.next() * 0.12, snareNoise: 0.6 + rng.next() * 0.5, snareBand: 1200 + rng.next() * 2000,
      hatDecay: 0.02 + rng.next() * 0.04, openDecay: 0.15 + rng.next() * 0.2,
      kickDb: -2 + rng.next() * 4, snareDb: -4 + rng.next() * 5, hatDb: -10 + rng.next() * 6,
    };
    const step = beat / 4;
    const bars = Math.ceil(spec.seconds / (4 * beat));
    for (let bar = 0; bar < bars; bar++) {
      for (let s = 0; s < 16; s++) {
        const at = Math.round((bar * 16 + s) * step * rate);
        if (at >= len) break;
        const jitter = () => 0.9 + 0.2 * rng.next();
        if (p.kick[s]) kick(L, R, at, rate, drumGain * db(kit.kickDb) * p.kick[s] * jitter(), kit);
        if (p.snare[s]) snare(L, R, at, rate, drumGain * db(kit.snareDb) * p.snare[s] * jitter(), kit, rng);
        if (p.closedHat[s]) hat(L, R, at, rate, drumGain * db(kit.hatDb) * p.closedHat[s] * jitter(), kit.hatDecay, rng);
        if (p.openHat[s]) hat(L, R, at, rate, drumGain * db(kit.hatDb) * p.openHat[s] * jitter(), kit.openDecay, rng);
      }
    }
  }

  // Harmony: the progression, one chord per chordBeats, over and over.
  const tune = 2 ** ((spec.tuningCents ?? 0) / 1200);
  const hz = (midi: number) => 440 * tune * 2 ** ((midi - 69) / 12);
  const prog = PROGRESSIONS[spec.mode][spec.progression ?? 0];
  const chordSec = (spec.chordBeats ?? 4) * beat;
  const timbre = spec.timbre ?? "pad";
  const voice = VOICES[timbre];
  const table = wavetable(voice.partials, voice.tilt);
  const bassTable = wavetable(3, 1.5);
  const leadTable = wavetable(8, 1.2);
  const scale = SCALES[spec.mode];
  let melodyDegree = 0;
  for (let c = 0, t0 = 0; t0 < spec.seconds; c++, t0 += chordSec) {
    const chord = prog[c % prog.length];
    const dur = Math.min(chordSec, spec.seconds - t0);
    // Chord tones around middle C (MIDI 55…70), root position or an inversion.
    const rootMidi = 48 + ((spec.tonic + chord.root) % 12);
    const notes = chord.intervals.map((i) => { let m = rootMidi + i; while (m < 55) m += 12; while (m > 70) m -= 12; return m; });
    const hits = voice.retrigger ? Math.max(1, Math.round(dur / (voice.retrigger * beat))) : 1;
    const hitDur = dur / hits;
    for (let h = 0; h < hits; h++) {
      const start = t0 + h * hitDur;
      if (timbre === "pluck") {
        // Arpeggio on eighth notes.
        const eighths = Math.max(1, Math.round(hitDur / (beat / 2)));
        for (let e = 0; e < eighths; e++) {
          const m = notes[e % notes.length] + (e % (2 * notes.length) >= notes.length ? 12 : 0);
          note(L, R, table, hz(m), start + (e * beat) / 2, beat / 2, rate, 0.22 * harmGain, voice, rng.next() * 2 - 1);
        }
      } else {
        for (const m of notes) note(L, R, table, hz(m), start, hitDur, rate, (0.16 * harmGain) / Math.sqrt(notes.length / 3), voice, rng.next() * 1.2 - 0.6);
      }
    }
    if (spec.bass ?? true) {
      // Bass: the root, on beats 1 and 3 (or every beat), plucked.
      const every = rng.chance(0.5) ? 1 : 2;
      for (let b = 0; b * beat < dur - 1e-6; b += every) {
        note(L, R, bassTable, hz(36 + ((spec.tonic + chord.root) % 12)), t0 + b * beat, every * beat * 0.9, rate, 0.3 * harmGain, BASS, 0);
      }
    }
    if (spec.melody) {
      // A random walk on the scale, quarter and eighth notes, starting and resting on chord tones.
      for (let t = 0; t < dur - 1e-6;) {
        const d = rng.chance(0.6) ? beat : beat / 2;
        melodyDegree = Math.max(-2, Math.min(9, melodyDegree + rng.int(-2, 2)));
        const oct = Math.floor(melodyDegree / 7);
        const deg = ((melodyDegree % 7) + 7) % 7;
        const m = 72 + spec.tonic + scale[deg] + 12 * oct;
        if (!rng.chance(0.15)) note(L, R, leadTable, hz(m > 88 ? m - 12 : m), t0 + t, d * 0.95, rate, 0.12 * harmGain, LEAD, 0.3);
        t += d;
      }
    }
  }

  if (spec.voice) {
    // A sung line: a harmonic source with vibrato (5–6 Hz, ±40 cents), a glide into each note and
    // two vowel formants, on chord tones and passing scale tones, phrases with breaths.
    const notes: Array<{ t: number; d: number; m: number }> = [];
    let degree = 2;
    for (let t = 0; t < spec.seconds - 1;) {
      const d = rng.pick([beat, beat, 2 * beat, beat / 2]);
      degree = Math.max(0, Math.min(9, degree + rng.int(-2, 2)));
      const m = 60 + spec.tonic + scale[degree % 7] + 12 * Math.floor(degree / 7);
      if (!rng.chance(0.12)) notes.push({ t, d: d * 0.95, m });
      t += d;
    }
    sing(L, R, notes, rate, hz, 0.2 * harmGain, rng);
  }

  // Normalize to the peak asked for.
  let peak = 0;
  for (let i = 0; i < len; i++) peak = Math.max(peak, Math.abs(L[i]), Math.abs(R[i]));
  const g = peak > 0 ? 10 ** ((spec.peakDb ?? -1) / 20) / peak : 1;
  for (let i = 0; i < len; i++) (L[i] *= g), (R[i] *= g);
  return [L, R];
}

const db = (x: number) => 10 ** (x / 20);

export interface Voice {
  partials: number;
  /** Partial h has amplitude 1/h^tilt. */
  tilt: number;
  attack: number;
  /** Exponential decay time constant, s (Infinity: sustained). */
  decay: number;
  release: number;
  /** Re-strike every this many beats (0: once per chord). */
  retrigger: number;
  /** Slow vibrato/chorus depth in cents (strings). */
  chorus: number;
}
export const VOICES: Record<Timbre, Voice> = {
  pad: { partials: 6, tilt: 2, attack: 0.12, decay: Infinity, release: 0.15, retrigger: 0, chorus: 6 },
  piano: { partials: 10, tilt: 1.6, attack: 0.004, decay: 0.9, release: 0.05, retrigger: 2, chorus: 0 },
  organ: { partials: 8, tilt: 1.1, attack: 0.01, decay: Infinity, release: 0.03, retrigger: 0, chorus: 0 },
  pluck: { partials: 10, tilt: 1.3, attack: 0.003, decay: 0.25, release: 0.05, retrigger: 0, chorus: 0 },
  strings: { partials: 12, tilt: 1, attack: 0.08, decay: Infinity, release: 0.2, retrigger: 0, chorus: 8 },
};
export const BASS: Voice = { partials: 3, tilt: 1.5, attack: 0.005, decay: 0.5, release: 0.04, retrigger: 0, chorus: 0 };
export const LEAD: Voice = { partials: 8, tilt: 1.2, attack: 0.01, decay: 0.6, release: 0.04, retrigger: 0, chorus: 0 };

const TABLE = 2048;
/** One period of a tone with `partials` harmonics of amplitude 1/h^tilt, peak-normalized. */
export function wavetable(partials: number, tilt: number): Float32Array {
  const t = new Float32Array(TABLE + 1);
  let peak = 0;
  for (let i = 0; i < TABLE; i++) {
    let v = 0;
    for (let h = 1; h <= partials; h++) v += Math.sin((2 * Math.PI * h * i) / TABLE) / h ** tilt;
    t[i] = v;
    peak = Math.max(peak, Math.abs(v));
  }
  for (let i = 0; i < TABLE; i++) t[i] /= peak;
  t[TABLE] = t[0];
  return t;
}

/** Adds one note (wavetable oscillator with an attack/decay/release envelope), panned. */
export function note(L: Float32Array, R: Float32Array, table: Float32Array, f: number, startSec: number, durSec: number, rate: number,
  gain: number, v: Voice, pan: number): void {
  const from = Math.round(startSec * rate);
  const tail = Math.round(v.release * rate);
  const n = Math.round(durSec * rate);
  const to = Math.min(L.length, from + n + tail);
  const gl = gain * Math.sqrt((1 - pan) / 2) * Math.SQRT2;
  const gr = gain * Math.sqrt((1 + pan) / 2) * Math.SQRT2;
  let phase = 0;
  const att = Math.max(1, Math.round(v.attack * rate));
  const k = Number.isFinite(v.decay) ? Math.exp(-1 / (v.decay * rate)) : 1;
  let env = 1;
  for (let i = from, j = 0; i < to; i++, j++) {
    const vib = v.chorus ? 2 ** ((v.chorus * Math.sin((2 * Math.PI * 0.7 * j) / rate)) / 1200) : 1;
    phase += (f * vib * TABLE) / rate;
    if (phase >= TABLE) phase -= TABLE;
    const x = phase | 0;
    const s = table[x] + (phase - x) * (table[x + 1] - table[x]);
    let a = env;
    if (j < att) a *= j / att;
    if (j >= n) a *= 1 - (j - n) / tail;
    env *= k;
    const y = s * a;
    L[i] += y * gl;
    R[i] += y * gr;
  }
}

/** Adds a sung line: glottal-like harmonic source (partials 1/h), vibrato, glides, two formants. */
export function sing(L: Float32Array, R: Float32Array, notes: Array<{ t: number; d: number; m: number }>, rate: number,
  hz: (midi: number) => number, gain: number, rng: Rng): void {
  const vowels = [[700, 1200], [400, 2000], [300, 900], [500, 1700]];
  for (let i = 0; i < notes.length; i++) {
    const { t, d, m } = notes[i];
    const prev = i > 0 ? notes[i - 1].m : m;
    const [f1, f2] = rng.pick(vowels);
    const from = Math.round(t * rate), n = Math.min(L.length - from, Math.round(d * rate));
    const rateHz = 5 + rng.next(), depth = 25 + 25 * rng.next();
    // Partial amplitudes: 1/h shaped by two resonances (formants) of 120 Hz bandwidth.
    const f0 = hz(m);
    const amps: number[] = [];
    for (let h = 1; h * f0 < 5000; h++) {
      const f = h * f0;
      const res = (fc: number) => 1 / (1 + ((f - fc) / 120) ** 2);
      amps.push((1 / h) * (0.2 + res(f1) + 0.7 * res(f2)));
    }
    let phase = 0;
    for (let j = 0; j < n; j++) {
      const s = j / rate;
      const glide = s < 0.08 ? (prev - m) * (1 - s / 0.08) * 100 : 0; // cents
      const vib = s > 0.15 ? depth * Math.sin(2 * Math.PI * rateHz * s) : 0;
      phase += (f0 * 2 ** ((glide + vib) / 1200)) / rate;
      if (phase > 1) phase -= 1;
      let y = 0;
      for (let h = 0; h < amps.length; h++) y += amps[h] * Math.sin(2 * Math.PI * (h + 1) * phase);
      const env = Math.min(1, s / 0.03) * Math.min(1, (d - s) / 0.05);
      L[from + j] += gain * env * y;
      R[from + j] += gain * env * y;
    }
  }
}

export interface Kit {
  kickHi: number; kickLo: number; kickDecay: number; kickBend: number;
  snareTone: number; snareDecay: number; snareNoise: number; snareBand: number;
}

export function kick(L: Float32Array, R: Float32Array, at: number, rate: number, gain: number, k: Kit): void {
  const n = Math.min(L.length - at, Math.round(5 * k.kickDecay * rate));
  let phase = 0;
  for (let j = 0; j < n; j++) {
    const t = j / rate;
    const f = k.kickLo + (k.kickHi - k.kickLo) * Math.exp(-t / k.kickBend);
    phase += (2 * Math.PI * f) / rate;
    let y = Math.sin(phase) * Math.exp(-t / k.kickDecay);
    if (j < rate * 0.002) y += 0.3 * (1 - j / (rate * 0.002)) * (((j * 7919) % 13) / 6.5 - 1); // click
    L[at + j] += gain * y;
    R[at + j] += gain * y;
  }
}

export function snare(L: Float32Array, R: Float32Array, at: number, rate: number, gain: number, k: Kit, rng: Rng): void {
  const n = Math.min(L.length - at, Math.round(5 * k.snareDecay * rate));
  // The wires: noise through a band-pass around 2 kHz (RBJ cookbook biquad, Q 0.7), plus a little
  // of the raw noise for the top end; the shell: two modes, the second ≈ 1.6× the first.
  const w0 = (2 * Math.PI * k.snareBand) / rate, alpha = Math.sin(w0) / (2 * 0.7), a0 = 1 + alpha;
  const b0 = alpha / a0, b2 = -alpha / a0, a1 = (-2 * Math.cos(w0)) / a0, a2 = (1 - alpha) / a0;
  let x1 = 0, x2 = 0, y1 = 0, y2 = 0;
  for (let j = 0; j < n; j++) {
    const t = j / rate;
    const w = rng.next() * 2 - 1;
    const bp = b0 * w + b2 * x2 - a1 * y1 - a2 * y2;
    x2 = x1; x1 = w; y2 = y1; y1 = bp;
    const shell = (Math.sin(2 * Math.PI * k.snareTone * t) + 0.5 * Math.sin(2 * Math.PI * 1.6 * k.snareTone * t)) * Math.exp(-t / 0.06);
    const y = 0.5 * shell + k.snareNoise * (1.4 * bp + 0.25 * w) * Math.exp(-t / k.snareDecay);
    L[at + j] += gain * y;
    R[at + j] += gain * y;
  }
}

export function hat(L: Float32Array, R: Float32Array, at: number, rate: number, gain: number, decay: number, rng: Rng): void {
  const n = Math.min(L.length - at, Math.round(5 * decay * rate));
  let p1 = 0, p2 = 0;
  for (let j = 0; j < n; j++) {
    const w = rng.next() * 2 - 1;
    const y = w - 2 * p1 + p2; // second difference: high-passed noise
    p2 = p1;
    p1 = w;
    const e = 0.35 * y * Math.exp(-j / (decay * rate));
    L[at + j] += gain * e * 0.8;
    R[at + j] += gain * e;
  }
}

/** Encodes stereo float samples with ffmpeg (`codecArgs`, muxer `format`) to `file`. */
export function encode(channels: Float32Array[], rate: number, file: string, codecArgs: string[], format: string): Promise<void> {
  const n = channels[0].length;
  const c = channels.length;
  const inter = new Float32Array(n * c);
  for (let i = 0; i < n; i++) for (let ch = 0; ch < c; ch++) inter[i * c + ch] = channels[ch][i];
  return new Promise((resolve, reject) => {
    const child = spawn(process.env.FFMPEG_PATH || "ffmpeg", [
      "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
      "-f", "f32le", "-ar", String(rate), "-ac", String(c), "-i", "pipe:0",
      ...codecArgs, "-f", format, file,
    ], { stdio: ["pipe", "ignore", "pipe"] });
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    child.stdin.on("error", () => {});
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited ${code}: ${err.trim().slice(-800)}`))));
    child.stdin.end(Buffer.from(inter.buffer, inter.byteOffset, inter.byteLength));
  });
}

/** Mono mix (mean of the channels), e.g. to feed FeatureAnalyzer without ffmpeg. */
export function mono(channels: Float32Array[]): Float32Array {
  const out = new Float32Array(channels[0].length);
  for (const ch of channels) for (let i = 0; i < out.length; i++) out[i] += ch[i] / channels.length;
  return out;
}
