// Onset strength envelope: how much new energy each frame brings, one value per STFT frame (43 per
// second at 22050 Hz with a hop of 512), the input of tempo estimation and beat tracking.
// Spectral flux on a log-compressed mel spectrogram (Böck, Krebs & Schedl, "Evaluating the online
// capabilities of onset detection methods", ISMIR 2012: log(1 + λ·|X|) makes the flux respond to
// ratios, so a soft hi-hat counts next to a loud bass; mel bands smooth out single partials), with the
// SuperFlux refinement (Böck & Widmer, "Maximum filter vibrato suppression for onset detection",
// DAFx 2013): each band is compared with the maximum of its neighbours `lag` frames earlier, so a
// partial that glides (vibrato, a bend) into the next band does not count as a new note.
// Only rises count (half-wave rectification). The bands are grouped — low (below 200 Hz: kick drum,
// bass), mid (200 Hz … 4 kHz: snare body, voice, most instruments), high (cymbals, hi-hats) — and
// each group's mean flux per band is kept; the combined envelope is their weighted sum (1, 1, ½).
// Averaging within groups keeps a broadband snare from outweighing a kick drum, which moves only the
// few low bands yet carries the beat as much (listeners and dancers lock to low-frequency sounds:
// Hove et al., PNAS 111(28), 2014; Lenc et al., PNAS 115(32), 2018); hi-hats, which subdivide the beat,
// weigh half. tempo.ts uses the groups to tell the beat from its subdivisions.
import { Series } from "./stats.js";

export interface OnsetOptions {
  /** Number of mel bands of the frames pushed. */
  bands: number;
  /** Centre frequency of each band (MelFilterbank.centres), to split them into groups. */
  centres: ArrayLike<number>;
  /** Multiplies the band energies to make 1 full scale (a sine of amplitude 1 in one band has energy 1). */
  scale: number;
  /** Frames between the compared frames; default 1 (23 ms at 43 frames/s). */
  lag?: number;
  /** λ of log(1 + λ·magnitude); default 1000 (bands below about −60 dBFS fade out). */
  lambda?: number;
  /** Edges between the low, mid and high groups in Hz; default 200 and 4000. */
  edges?: [number, number];
  /** Weights of the low, mid and high groups in the combined envelope; default 1, 1, 0.5. */
  weights?: [number, number, number];
}

/** The onset envelope of a stream of mel frames, overall and per frequency group. */
export class OnsetEnvelope {
  /** Combined onset strength of every frame pushed. */
  readonly all = new Series();
  /** Mean flux per band of the low (kick drum, bass) and mid (snare, voice, most instruments) groups;
   * the high group (cymbals, hi-hats) only enters the combined envelope. */
  readonly low = new Series();
  readonly mid = new Series();
  private readonly history: Float32Array[];
  private readonly lag: number;
  private readonly lambda: number;
  private readonly scale: number;
  /** First band of the mid and of the high group. */
  private readonly midFrom: number;
  private readonly highFrom: number;
  private readonly weights: [number, number, number];
  private frames = 0;

  constructor(opts: OnsetOptions) {
    this.lag = opts.lag ?? 1;
    this.lambda = opts.lambda ?? 1000;
    this.scale = opts.scale;
    this.weights = opts.weights ?? [1, 1, 0.5];
    const [e1, e2] = opts.edges ?? [200, 4000];
    let b = 0;
    while (b < opts.bands && opts.centres[b] < e1) b++;
    this.midFrom = Math.max(1, b);
    while (b < opts.bands && opts.centres[b] < e2) b++;
    this.highFrom = Math.max(this.midFrom + 1, Math.min(b, opts.bands - 1));
    this.history = Array.from({ length: this.lag + 1 }, () => new Float32Array(opts.bands));
  }

  /** Adds the mel band energies of the next frame; returns its combined onset strength. */
  push(mel: ArrayLike<number>): number {
    const { lag, lambda, scale } = this;
    const cur = this.history[this.frames % (lag + 1)];
    const bands = cur.length;
    for (let b = 0; b < bands; b++) cur[b] = Math.log1p(lambda * Math.sqrt(mel[b] * scale));
    const sums = [0, 0, 0];
    // Before the first frame there was silence (the history starts at log(1 + 0) = 0): a song that
    // starts with a hit has an onset in its first frame.
    const prev = this.history[(this.frames + 1) % (lag + 1)];
    for (let b = 0; b < bands; b++) {
      let ref = prev[b];
      if (b > 0 && prev[b - 1] > ref) ref = prev[b - 1];
      if (b + 1 < bands && prev[b + 1] > ref) ref = prev[b + 1];
      const d = cur[b] - ref;
      if (d > 0) sums[b < this.midFrom ? 0 : b < this.highFrom ? 1 : 2] += d;
    }
    const low = sums[0] / this.midFrom, mid = sums[1] / (this.highFrom - this.midFrom), high = sums[2] / (bands - this.highFrom);
    const [wl, wm, wh] = this.weights;
    const all = wl * low + wm * mid + wh * high;
    this.frames++;
    this.all.push(all);
    this.low.push(low);
    this.mid.push(mid);
    return all;
  }
}

/**
 * Onsets per second in an envelope prepared by tempo.ts's prepareEnvelope (local mean removed,
 * rectified): peak picking in the manner of Bello et al. ("A tutorial on onset detection in music
 * signals", IEEE TSAP 13(5), 2005) — a frame is an onset when it is the maximum within ±`halfWindow`
 * frames (default: ±35 ms, at least one frame) and stands above `threshold` times the envelope's
 * standard deviation.
 */
export function onsetRate(prepared: Float32Array, frameRate: number, threshold = 1, halfWindow = Math.max(1, Math.round(0.035 * frameRate))): number {
  const T = prepared.length;
  if (T === 0) return 0;
  let sum = 0, sq = 0;
  for (let i = 0; i < T; i++) (sum += prepared[i]), (sq += prepared[i] * prepared[i]);
  const std = Math.sqrt(Math.max(0, sq / T - (sum / T) ** 2));
  if (!(std > 0)) return 0;
  const min = threshold * std;
  let count = 0;
  for (let t = 0; t < T; t++) {
    const v = prepared[t];
    if (v < min) continue;
    let isMax = true;
    for (let j = Math.max(0, t - halfWindow); j <= Math.min(T - 1, t + halfWindow) && isMax; j++) {
      if (prepared[j] > v || (prepared[j] === v && j < t)) isMax = false;
    }
    if (isMax) count++;
  }
  return count / (T / frameRate);
}
