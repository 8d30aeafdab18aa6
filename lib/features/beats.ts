// Beat tracking by dynamic programming (Ellis, "Beat tracking by dynamic programming", Journal of New
// Music Research 36(1), 2007). Given the onset envelope O and a target beat period p (frames), the
// best beat sequence maximizes  Σ O(b_i) + α·Σ F(b_i − b_{i−1}, p)  with  F(Δ, p) = −(log(Δ/p))²:
// beats should fall on onsets, and successive beats should be about p apart. The cumulative score
//   C(t) = O(t) + max(0, max_{τ ∈ [t−2p, t−p/2]} (C(τ) + α·F(t−τ, p)))
// is computed left to right with a back-link to the τ chosen; the last beat is the best C(t) in the
// final period, and the rest are read back through the links. One pass, O(T·p): an hour of audio at
// 43 frames/s (155 000 frames, p ≈ 21 at 120 BPM) is about 5 million steps. The max(0, …) lets a sequence start
// anywhere (the first beat need not be at the start of the song). α ("tightness") trades following the
// onsets against keeping the tempo; Ellis tuned it on his data, it is exposed here.
// Beats in the silent lead-in and tail (where the envelope is flat) are dropped: the DP would otherwise
// extrapolate the grid through them.

export interface BeatOptions {
  /** α: how strongly the period is kept; default 100 (the envelope is normalized to unit std first). */
  tightness?: number;
}

/** Frames (indexes into `envelope`) of the beats, increasing. `period` in frames. */
export function trackBeats(envelope: Float32Array, period: number, opts: BeatOptions = {}): number[] {
  const T = envelope.length;
  if (T === 0 || !(period >= 2) || period * 2 >= T) return [];
  const alpha = opts.tightness ?? 100;
  // Normalize: zero mean is not wanted (onsets must add), unit standard deviation is (so α means the
  // same for every song).
  let sum = 0, sq = 0;
  for (let i = 0; i < T; i++) (sum += envelope[i]), (sq += envelope[i] * envelope[i]);
  const mean = sum / T;
  const std = Math.sqrt(Math.max(0, sq / T - mean * mean));
  if (!(std > 0)) return [];
  const o = new Float32Array(T);
  for (let i = 0; i < T; i++) o[i] = envelope[i] / std;

  const dMin = Math.max(1, Math.round(period / 2));
  const dMax = Math.max(dMin + 1, Math.round(2 * period));
  const penalty = new Float64Array(dMax + 1);
  for (let d = dMin; d <= dMax; d++) penalty[d] = -alpha * Math.log(d / period) ** 2;

  const score = new Float64Array(T);
  const back = new Int32Array(T).fill(-1);
  for (let t = 0; t < T; t++) {
    let best = 0;
    let from = -1;
    const lo = Math.max(0, t - dMax);
    for (let tau = t - dMin; tau >= lo; tau--) {
      const s = score[tau] + penalty[t - tau];
      if (s > best) (best = s), (from = tau);
    }
    score[t] = o[t] + best;
    back[t] = from;
  }

  // The last beat: the best score in the last period (scores only grow along a sequence, so looking
  // further back would favour stopping early).
  let last = T - 1;
  for (let t = T - 1; t >= Math.max(0, T - Math.round(period)); t--) if (score[t] > score[last]) last = t;
  const beats: number[] = [];
  for (let t = last; t >= 0; t = back[t]) beats.push(t);
  beats.reverse();
  return trimSilentEnds(beats, o);
}

/** Drops beats before the first and after the last clear onset (½ of the mean beat onset strength). */
function trimSilentEnds(beats: number[], o: Float32Array): number[] {
  if (beats.length < 3) return beats;
  const strength = (t: number) => Math.max(o[t - 1] ?? 0, o[t], o[t + 1] ?? 0);
  let mean = 0;
  for (const b of beats) mean += strength(b);
  mean /= beats.length;
  // Where does the music start and end? The first and last frames with a clear onset.
  let first = 0, lastOn = o.length - 1;
  while (first < o.length && o[first] < 0.5 * mean) first++;
  while (lastOn > 0 && o[lastOn] < 0.5 * mean) lastOn--;
  const margin = 2;
  return beats.filter((b) => b >= first - margin && b <= lastOn + margin);
}

/**
 * Beat frames moved to the onset peak they sit on, to a fraction of a frame: the strongest frame
 * within ±1 of the beat, then the vertex of the parabola through it and its neighbours. A beat on no
 * peak (a beat the tracker carried through a rest) stays where it is.
 */
export function refineBeats(envelope: Float32Array, beats: number[]): number[] {
  const T = envelope.length;
  return beats.map((b) => {
    let p = b;
    for (const q of [b - 1, b + 1]) if (q > 0 && q < T - 1 && envelope[q] > envelope[p]) p = q;
    if (p <= 0 || p >= T - 1) return b;
    const a = envelope[p - 1], c = envelope[p], d = envelope[p + 1];
    if (!(c > 0 && c >= a && c >= d)) return b;
    const den = a - 2 * c + d;
    return den < 0 ? p + Math.max(-0.5, Math.min(0.5, (0.5 * (a - d)) / den)) : p;
  });
}
