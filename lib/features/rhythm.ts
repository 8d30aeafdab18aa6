// The rhythm pattern of a song: where within the beat its onsets fall, in the low band (kick drum,
// bass) and the mid band (snare, voice, most instruments), and how the beats alternate. Tempo-free,
// so a house track at 124 and one at 128 share a pattern, and a shuffle differs from a straight
// groove at the same tempo.
//
// After the rhythm descriptors of music-similarity work: the beat-synchronous onset patterns of
// Dixon, Gouyon & Widmer ("Towards characterisation of music via rhythmic patterns", ISMIR 2004)
// and the onset patterns of Pohle, Schnitzer, Schedl, Knees & Widmer ("On rhythm and general music
// similarity", ISMIR 2009), which combined with timbre improve genre-level similarity. Here the
// pattern is one beat long (the bar's phase is not known), sampled at the straight and the triplet
// subdivisions: 0, ¼, ⅓, ½, ⅔, ¾ of the beat. For each beat the onset strength near each position is
// taken (the strongest frame within ±1), summed over the song, and given as shares of the total, so
// loudness does not enter. Two numbers describe the bar: `accent`, how much every other beat of the
// low band is weaker (|even − odd| / (even + odd): a kick on 1 and 3 only), and `backbeat`, whether
// the mid band stresses the other beats than the low band does (kick on 1 and 3, snare on 2 and 4:
// positive; both on the same beats: negative).

export const RHYTHM_POSITIONS = [0, 1 / 4, 1 / 3, 1 / 2, 2 / 3, 3 / 4] as const;

export interface RhythmPattern {
  /** Shares of the low band's onset strength at each of RHYTHM_POSITIONS (sum 1). */
  low: number[];
  /** The same for the mid band. */
  mid: number[];
  /** 0 … 1: every other beat weaker in the low band. */
  accent: number;
  /** −1 … 1: the mid band stressing the beats the low band leaves weak (+), or the same ones (−). */
  backbeat: number;
}

function peakNear(e: Float32Array, t: number): number {
  const c = Math.round(t);
  let m = 0;
  for (let i = Math.max(0, c - 1); i <= Math.min(e.length - 1, c + 1); i++) if (e[i] > m) m = e[i];
  return m;
}

/**
 * The pattern of the prepared low- and mid-band onset envelopes (tempo.ts prepareEnvelope) over
 * `beats` (frame indices, fractional). Null with fewer than 8 beats or no onsets.
 */
export function rhythmPattern(beats: readonly number[], low: Float32Array, mid: Float32Array): RhythmPattern | null {
  const n = beats.length - 1;
  if (n < 7) return null;
  const P = RHYTHM_POSITIONS.length;
  const sums = [new Float64Array(P), new Float64Array(P)];
  const parity = [[0, 0], [0, 0]];
  const bands = [low, mid];
  for (let i = 0; i < n; i++) {
    const len = beats[i + 1] - beats[i];
    for (let b = 0; b < 2; b++) {
      for (let p = 0; p < P; p++) sums[b][p] += peakNear(bands[b], beats[i] + RHYTHM_POSITIONS[p] * len);
      parity[b][i % 2] += peakNear(bands[b], beats[i]);
    }
  }
  const shares = (s: Float64Array) => {
    let total = 0;
    for (const v of s) total += v;
    return total > 0 ? Array.from(s, (v) => Math.round((v / total) * 1e4) / 1e4) : null;
  };
  const l = shares(sums[0]), m = shares(sums[1]);
  if (!l && !m) return null;
  const signed = ([even, odd]: number[]) => (even + odd > 0 ? (even - odd) / (even + odd) : 0);
  const pl = signed(parity[0]), pm = signed(parity[1]);
  const flat = Array.from({ length: P }, () => Math.round((1 / P) * 1e4) / 1e4);
  return {
    low: l ?? flat,
    mid: m ?? flat,
    accent: Math.round(Math.abs(pl) * 1e4) / 1e4,
    backbeat: Math.round(-pl * pm * 1e4) / 1e4,
  };
}
