// Key from a song's chroma (chroma.ts) by template matching — the Krumhansl–Schmuckler algorithm
// (Krumhansl, "Cognitive foundations of musical pitch", 1990): the chroma is correlated (Pearson) with
// a key profile rotated to each of the 12 tonics, major and minor, and the best of the 24 wins.
// Two published profile pairs are used:
// - Krumhansl & Kessler, "Tracing the dynamic changes in perceived tonal organization in a spatial
//   representation of musical keys", Psychological Review 89(4), 1982: probe-tone ratings;
// - Temperley, "What's key for key? The Krumhansl–Schmuckler key-finding algorithm reconsidered",
//   Music Perception 17(1), 1999: a revision that, among others, weighs the leading tone and the
//   raised 7th of minor more.
// "combined" (the default) averages the two correlations, which smooths the quirks of each.
// Profiles describe notes, but audio chroma also holds the notes' overtones: the 3rd harmonic of every
// note sits a fifth above it, the 5th a major third above, which pulls the match towards the dominant.
// So the profiles are first given the same overtones (each note spreading over its first 6 harmonics
// with amplitudes decaying geometrically by `harmonicDecay` per harmonic, the adaptation Gómez made
// for the HPCP, "Tonal description of music audio signals", PhD thesis, UPF 2006) — like is compared
// with like.
// Key names: sharps only, "C C# D D# E F F# G G# A A# B", mode "major" | "minor".
// The mode of the best-matching tonic is then checked against its triad's third (modeFromThird): where
// the third is clear it decides major or minor, where it is not the profiles do.
// Confidence: the gap between the best and the runner-up correlation (0.1 or more counts as certain),
// times how well the best key fits at all (correlation 0.5 → 0 … 0.8 → 1: white noise correlates about
// 0.2 with any key, a lone sine 0.55, a chord progression 0.8–0.95).
import { clamp01 } from "./stats.js";

export const KEY_NAMES = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"] as const;
export type KeyMode = "major" | "minor";
export type KeyProfileName = "krumhansl-kessler" | "temperley" | "combined";

/** Profiles, tonic first (index i = i semitones above the tonic). */
export const PROFILES: Record<Exclude<KeyProfileName, "combined">, Record<KeyMode, number[]>> = {
  "krumhansl-kessler": {
    major: [6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88],
    minor: [6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17],
  },
  temperley: {
    major: [5.0, 2.0, 3.5, 2.0, 4.5, 4.0, 2.0, 4.5, 2.0, 3.5, 1.5, 4.0],
    minor: [5.0, 2.0, 3.5, 4.5, 2.0, 4.0, 2.0, 4.5, 3.5, 2.0, 1.5, 4.0],
  },
};

export interface KeyOptions {
  profile?: KeyProfileName;
  /** Amplitude of harmonic h+1 relative to harmonic h when adapting the profiles; default 0.6, 0 = off. */
  harmonicDecay?: number;
}

export interface KeyEstimate {
  tonic: (typeof KEY_NAMES)[number];
  mode: KeyMode;
  /** 0 … 1. */
  confidence: number;
  profile: KeyProfileName;
  /** Correlation of the best key. */
  correlation: number;
  /** All 24 keys, best first. */
  ranking: Array<{ tonic: (typeof KEY_NAMES)[number]; mode: KeyMode; correlation: number }>;
}

/** The profile with each note's overtones added (harmonics 1 … 6; partial h is 12·log2(h) semitones up). */
export function withHarmonics(profile: readonly number[], decay: number): number[] {
  if (!(decay > 0)) return [...profile];
  const out = new Array(12).fill(0);
  for (let pc = 0; pc < 12; pc++) {
    for (let h = 1, a = 1; h <= 6; h++, a *= decay) out[(pc + Math.round(12 * Math.log2(h))) % 12] += profile[pc] * a;
  }
  return out;
}

function pearson(x: ArrayLike<number>, y: ArrayLike<number>, shift: number): number {
  let mx = 0, my = 0;
  for (let i = 0; i < 12; i++) (mx += x[i]), (my += y[i]);
  mx /= 12;
  my /= 12;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < 12; i++) {
    const a = x[(i + shift) % 12] - mx, b = y[i] - my;
    sxy += a * b;
    sxx += a * a;
    syy += b * b;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : 0;
}

/** The key of a 12-bin chroma (C first). A chroma with no contrast gives C major with confidence 0. */
export function estimateKey(chroma: ArrayLike<number>, opts: KeyOptions = {}): KeyEstimate {
  const profile = opts.profile ?? "combined";
  const decay = opts.harmonicDecay ?? 0.6;
  const sets = profile === "combined" ? (["krumhansl-kessler", "temperley"] as const) : ([profile] as const);
  const adapted = sets.map((name) => ({ major: withHarmonics(PROFILES[name].major, decay), minor: withHarmonics(PROFILES[name].minor, decay) }));
  const ranking: KeyEstimate["ranking"] = [];
  for (const mode of ["major", "minor"] as const) {
    for (let tonic = 0; tonic < 12; tonic++) {
      let r = 0;
      for (const p of adapted) r += pearson(chroma, p[mode], tonic);
      ranking.push({ tonic: KEY_NAMES[tonic], mode, correlation: r / adapted.length });
    }
  }
  ranking.sort((a, b) => b.correlation - a.correlation);
  // The mode of the best tonic from its triad's third (see modeFromThird), where the third is clear.
  const tonicIndex = KEY_NAMES.indexOf(ranking[0].tonic);
  const thirdMode = modeFromThird(chroma, tonicIndex, decay);
  if (thirdMode && thirdMode !== ranking[0].mode) {
    const i = ranking.findIndex((k) => k.tonic === ranking[0].tonic && k.mode === thirdMode);
    ranking.unshift(...ranking.splice(i, 1));
  }
  const [best, second] = ranking;
  const gap = Math.max(0, best.correlation - second.correlation);
  return {
    tonic: best.tonic,
    mode: best.mode,
    confidence: clamp01(gap / 0.1) * clamp01((best.correlation - 0.5) / 0.3),
    profile,
    correlation: best.correlation,
    ranking,
  };
}

/**
 * The mode of a key whose tonic is `tonic`, from the quality of the tonic triad: the major third (4
 * semitones up) against the minor third (3 up) in the chroma — what music theory means by the mode of
 * a key, and what the profiles' ratings of the other degrees (the 6th and 7th above all) blur when a
 * song borrows from the parallel mode: ♭VI and ♭VII in a major key (I–♭VI–♭VII–I) pull a profile
 * match to the minor, though the tonic chord is major throughout; Mixolydian pieces are heard as major
 * and Dorian ones as minor by the same test. (Temperley, "The Cognition of Basic Musical Structures",
 * MIT Press 2001, ch. 7: the mode follows the tonic triad; Gómez 2006 likewise decides the mode from
 * the tonic's third when the profile match is close.) Each third also receives overtones of other
 * notes — the major third the tonic's own 5th partial, the minor third the 3rd partial of ♭VI's root —
 * which are discounted with the overtone model of withHarmonics. Null — leave the profile's choice —
 * when the two thirds are within 20 % of each other.
 */
export function modeFromThird(chroma: ArrayLike<number>, tonic: number, decay = 0.6): KeyMode | null {
  const c = (i: number) => chroma[((tonic + i) % 12 + 12) % 12];
  // What overtones alone put on pitch class p: the 5th partial of the note a major third below
  // (decay⁴) and the 3rd and 6th partials of the note a fifth below (decay² + decay⁵).
  const overtones = (i: number) => decay ** 4 * c(i - 4) + (decay ** 2 + decay ** 5) * c(i - 7);
  const major = Math.max(0, c(4) - overtones(4)), minor = Math.max(0, c(3) - overtones(3));
  const total = major + minor;
  if (!(total > 0)) return null;
  const lean = (major - minor) / total;
  return lean > 0.2 ? "major" : lean < -0.2 ? "minor" : null;
}
