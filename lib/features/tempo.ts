// Tempo from the onset envelope (onset.ts), in four steps.
// 1. Periodicity. The envelope, less its local mean and half-wave rectified (what stands out of its
//    surroundings), is autocorrelated — blockwise through FFTs, so an hour costs as little memory as
//    a minute. A tempo candidate of period P scores the mean autocorrelation at P, 2P, 3P, 4P (a comb
//    over the lags, in the spirit of the pulse trains of Percival & Tzanetakis, "Streamlined tempo
//    estimation based on autocorrelation and cross-correlation with pulses", IEEE/ACM TASLP 22(12),
//    2014): a steady beat repeats at every multiple, a chance correlation does not. Scores are taken on
//    a fine logarithmic grid (0.1 %), with the autocorrelation interpolated between lags, and the
//    peak is refined by a parabola: the estimate is far finer than one frame (7 % at 180 BPM).
// 2. Metrical level. Periodicity alone cannot tell a beat from half or twice it: a song that repeats
//    every beat also repeats every two. The candidates are the three best comb peaks (weighted by the
//    prior) and, for each, its multiples and divisions by 2, 3 and 4 inside the tempo range. Each is
//    tracked (beats.ts) and judged on the onsets at and between its beats, in two frequency groups —
//    low (kick drum, bass) and mid (snare, voice, most instruments); hi-hats and cymbals, which
//    subdivide the beat, do not vote, and a group with under 8 % of the onset strength does not either:
//    - too slow: in some group, something at least half as strong as the beats falls halfway between
//      them 40 … 80 % of the time or more (snares between the kicks: the beat is twice as fast).
//      Counting how often rather than averaging keeps a syncopated kick now and then from counting;
//    - too fast: every group has every other beat weaker, the same ones (kick and snare both on the
//      even beats, the odd ones empty: subdivisions). A backbeat — kick on the even beats, snare on the
//      odd ones — makes the groups disagree and is not "fast", even when the snare is buried in the mix.
//      Likewise in threes: every group stressing the same one beat of each three (kick and snare on the
//      first eighth of each group of three: the eighth notes of 6/8 or 12/8, whose beat is the dotted
//      quarter); a waltz's kick on 1 and snare on 2 and 3 make the groups disagree;
//    - grid fit: how much of the onset strength lies within a frame of the beats and their quarter
//      subdivisions, above what a grid that dense catches by chance — a level 3 : 2 off the true one
//      leaves the sixteenths off its grid.
//    Score = log comb + log prior − 3·slow − 3·fast + 2·fit, where slow counts half when twice the
//    tempo is outside the tempo range (see the scoring below); the best is the tempo. The prior is a
//    log-Gaussian over the tempo centred on 120 BPM, σ one octave (the "resonance" of tempo perception:
//    Ellis 2007, after van Noorden & Moelants 1999 and Parncutt 1994); it settles what the structure
//    leaves open. The weights were set on synthesized drum patterns (bench/features); they encode the
//    conventions of popular music, checked on 3/4 and 6/8 in bench/features' hard set.
// 3. Precision: a steady beat's tempo is refined by a least-squares line through its (sub-frame)
//    beat times — within 0.05 % on steady material.
// 4. Confidence: the clarity of the pulse at the chosen level (the comb as a correlation coefficient
//    of the mean-removed envelope; 0.3 and above counts as clear) times how far the chosen level beat
//    the runner-up (a score margin of 1.5 counts as certain). Below a clarity of 0.05 — noise, drones,
//    silence — there is no tempo: bpm 0.
import { refineBeats, trackBeats } from "./beats.js";
import { Fft } from "../dsp/fft.js";
import { clamp01 } from "./stats.js";

export interface TempoOptions {
  /** Range of the reported tempo; default 50 … 210 BPM. */
  minBpm?: number;
  maxBpm?: number;
  /** Centre of the perceptual prior in BPM; default 120. */
  preferredBpm?: number;
  /** Width (standard deviation) of the prior in octaves; default 1. */
  priorOctaves?: number;
  /** Receives a line for each level considered and what the decision saw (development aid). */
  debug?: (line: string) => void;
}

export interface TempoEstimate {
  /** 0 when the envelope shows no periodicity at all (silence, noise). */
  bpm: number;
  /** 0 … 1. */
  confidence: number;
  /** The other metrical levels considered (half, double, …), best first, with their scores relative
   * to the chosen one (1 = as good). */
  alternatives: Array<{ bpm: number; score: number }>;
  /** The envelope as prepared for the comb and the beat tracker (local mean removed, rectified). */
  prepared: Float32Array;
  /** Beats tracked at the chosen level, in frames (fractional: refined on the onset peaks). */
  beats: number[];
  /** How the beat stands out: clarity = the comb value at the beat as a correlation coefficient
   * (autocorrelation of the mean-removed envelope at the period and its multiples over its value at
   * lag 0: 0 for no periodicity, 1 for a perfectly repeating envelope); contrast = 1 − (onset strength
   * halfway between beats / on them); steadiness = 1 − (spread of the beat intervals / their mean)
   * / 0.1. */
  pulse: { clarity: number; contrast: number; steadiness: number };
}

const LOG_STEP = Math.log(1.001);
/** Below this clarity (see TempoEstimate.pulse) there is no beat to speak of: white noise scores about
 * 0.01, drum-driven songs 0.3 … 0.8. */
const MIN_CLARITY = 0.05;
const HARMONICS = 4;
/** A frequency group votes on the metrical level with at least this share of the onset strength. */
const MIN_VOTE = 0.08;
/** Comb peaks whose metrical families are considered. */
const BASES = 3;

/** Envelope less its moving average (±`halfWindow` frames), negative values set to 0. */
export function prepareEnvelope(env: Float32Array, halfWindow: number): Float32Array {
  const T = env.length;
  const out = new Float32Array(T);
  let sum = 0;
  let lo = 0, hi = 0; // window [lo, hi)
  for (let t = 0; t < T; t++) {
    const wantHi = Math.min(T, t + halfWindow + 1), wantLo = Math.max(0, t - halfWindow);
    while (hi < wantHi) sum += env[hi++];
    while (lo < wantLo) sum -= env[lo++];
    const v = env[t] - sum / (hi - lo);
    out[t] = v > 0 ? v : 0;
  }
  return out;
}

/** Autocorrelation r[0 … maxLag] of x, unbiased (each lag divided by its number of products), computed
 * in blocks of `block` frames with FFTs of a fixed size (memory does not grow with the length). */
export function autocorrelation(x: Float32Array, maxLag: number, block = 4096): Float64Array {
  const T = x.length;
  const r = new Float64Array(maxLag + 1);
  let n = 1;
  while (n < block + maxLag) n <<= 1;
  const fft = new Fft(n);
  const ar = new Float64Array(n), ai = new Float64Array(n), br = new Float64Array(n), bi = new Float64Array(n);
  for (let a = 0; a < T; a += block) {
    const end = Math.min(T, a + block);
    const endB = Math.min(T, a + block + maxLag);
    ar.fill(0), ai.fill(0), br.fill(0), bi.fill(0);
    for (let i = a; i < end; i++) ar[i - a] = x[i];
    for (let i = a; i < endB; i++) br[i - a] = x[i];
    fft.forward(ar, ai);
    fft.forward(br, bi);
    // conj(A)·B → Σ_i a[i]·b[i + l]
    for (let k = 0; k < n; k++) {
      const re = ar[k] * br[k] + ai[k] * bi[k];
      const im = ar[k] * bi[k] - ai[k] * br[k];
      ar[k] = re;
      ai[k] = im;
    }
    fft.inverse(ar, ai);
    for (let l = 0; l <= maxLag; l++) r[l] += ar[l];
  }
  for (let l = 0; l <= maxLag; l++) r[l] /= Math.max(1, T - l);
  return r;
}

/** r at a fractional lag (linear interpolation); 0 past the end. */
function at(r: Float64Array, lag: number): number {
  const i = Math.floor(lag);
  if (i + 1 >= r.length) return i < r.length ? r[i] : 0;
  return r[i] + (lag - i) * (r[i + 1] - r[i]);
}

/** Mean autocorrelation at the first HARMONICS multiples of `period` that fit. */
function comb(r: Float64Array, period: number): number {
  let s = 0, n = 0;
  for (let k = 1; k <= HARMONICS && k * period < r.length - 1; k++) (s += at(r, k * period)), n++;
  return n ? s / n : 0;
}

interface Level {
  bpm: number;
  period: number;
  comb: number;
  beats: number[];
  /** Mean onset strength (combined envelope) on the beats and halfway between them. */
  on: number;
  mid: number;
  /** Evidence (0 … 1) that the level is too slow (strong events between its beats) or too fast
   * (every other beat weak). */
  slow: number;
  /** Evidence that every other beat is a subdivision (fast2), or two beats in three are (fast3). */
  fast2: number;
  fast3: number;
  /** How much of the onset strength falls on the beats and their quarter subdivisions (0 … 1). */
  fit: number;
  detail: string;
  score: number;
}

/**
 * Tempo and beats of an onset envelope sampled at `frameRate` frames/s. `groups` are the low- and
 * mid-band envelopes (OnsetEnvelope.low/.mid) the metrical level is judged on; without them, the
 * envelope itself is the only voter.
 */
export function estimateTempo(env: Float32Array, frameRate: number, groups: { low: Float32Array; mid: Float32Array } | null, opts: TempoOptions = {}): TempoEstimate {
  const minBpm = opts.minBpm ?? 50, maxBpm = opts.maxBpm ?? 210;
  const preferred = opts.preferredBpm ?? 120, spread = opts.priorOctaves ?? 1;
  const none: TempoEstimate = { bpm: 0, confidence: 0, alternatives: [], prepared: new Float32Array(0), beats: [], pulse: { clarity: 0, contrast: 0, steadiness: 0 } };
  const x = prepareEnvelope(env, Math.round(frameRate * 0.25));
  const half = Math.round(frameRate * 0.25);
  const parts = groups ? [prepareEnvelope(groups.low, half), prepareEnvelope(groups.mid, half)] : [x];
  none.prepared = x;
  // Lags up to four periods of the slowest tempo: the comb's reach.
  const slowest = (60 * frameRate) / (minBpm / 2);
  const maxLag = Math.min(Math.ceil(slowest * 2) + 2, Math.max(8, x.length - 1));
  if (x.length < frameRate * 4) return none;
  const r = autocorrelation(x, maxLag);
  if (!(r[0] > 0)) return none;

  // 1. The comb over a fine BPM grid.
  const loB = minBpm / 2.2, hiB = maxBpm * 2.2;
  const grid: number[] = [];
  const sal: number[] = [];
  for (let lb = Math.log(loB); lb <= Math.log(hiB); lb += LOG_STEP) {
    const bpm = Math.exp(lb);
    grid.push(bpm);
    sal.push(comb(r, (60 * frameRate) / bpm) / r[0]);
  }
  // What the normalized autocorrelation of an envelope with this mean but no periodicity would be:
  // clarity measures the comb above it (the correlation coefficient of the mean-removed envelope).
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += x[i];
  const baseline = Math.min(0.999, ((sum / x.length) ** 2) / r[0]);
  const clarityOf = (combValue: number) => (combValue - baseline) / (1 - baseline);
  // The families: the best comb peaks, weighted by the prior, within the range.
  const prior = (bpm: number) => Math.exp(-0.5 * (Math.log2(bpm / preferred) / spread) ** 2);
  const peaks: number[] = [];
  for (let i = 1; i + 1 < grid.length; i++) {
    if (grid[i] >= minBpm && grid[i] <= maxBpm && sal[i] > 0 && sal[i] >= sal[i - 1] && sal[i] >= sal[i + 1]) peaks.push(i);
  }
  if (!peaks.length) return none;
  peaks.sort((a, b) => sal[b] * prior(grid[b]) - sal[a] * prior(grid[a]));
  opts.debug?.(`comb peaks: ${peaks.slice(0, 6).map((i) => `${grid[i].toFixed(1)}:${sal[i].toFixed(3)}`).join(" ")}`);
  const refine = (bpm: number): number => {
    // Parabolic peak of the comb around bpm, on the grid's log scale.
    const c = (b: number) => comb(r, (60 * frameRate) / b);
    let b = bpm;
    // climb to the local maximum first (the multiples of a peak need not be peaks on the grid)
    for (let i = 0; i < 50; i++) {
      const up = b * Math.exp(LOG_STEP), down = b * Math.exp(-LOG_STEP);
      if (c(up) > c(b)) b = up;
      else if (c(down) > c(b)) b = down;
      else break;
    }
    const y0 = c(b * Math.exp(-LOG_STEP)), y1 = c(b), y2 = c(b * Math.exp(LOG_STEP));
    const den = y0 - 2 * y1 + y2;
    const d = den < 0 ? Math.max(-1, Math.min(1, (0.5 * (y0 - y2)) / den)) : 0;
    return b * Math.exp(d * LOG_STEP);
  };
  // 2. The levels: for each of the best BASES comb peaks, the peak × 2^k and ×3, ÷3 in range (a
  //    pattern with kicks 1½ beats apart can put a peak at ⅔ of the tempo above the true one).
  const factors = [1 / 4, 1 / 3, 1 / 2, 1, 2, 3, 4];
  const seen: number[] = [];
  const levels: Level[] = [];
  for (const peak of peaks.slice(0, BASES)) {
    const base = refine(grid[peak]);
    if (seen.some((s) => Math.abs(Math.log(s / base)) < 0.03)) continue;
    for (const f of factors) {
      const b0 = base * f;
      if (b0 < minBpm * 0.97 || b0 > maxBpm * 1.03) continue;
      const bpm = f === 1 ? base : refine(b0);
      if (seen.some((s) => Math.abs(Math.log(s / bpm)) < 0.03)) continue;
      seen.push(bpm);
      levels.push(judge(x, parts, frameRate, bpm, comb(r, (60 * frameRate) / bpm) / r[0]));
    }
  }
  for (const l of levels) {
    // "Too slow" — strong onsets halfway between the beats — says two things: the beat is twice as
    // fast, or the level is metrically off (in 6/8, the level of two eighths has an eighth halfway).
    // When twice the tempo is out of range only the second can hold, and it counts half. A club track
    // at 128 BPM has its hi-hats, lifted by mastering (a treble lift, a brick-wall limiter that lets
    // the off-beats swell between the kicks), halfway between the beats: with the full penalty the
    // choice went to an unrelated level (85 BPM, 2 : 3, whose grid catches none of the eighths).
    // "Too fast" is kept whatever the range: beats that group in twos or threes say the level is
    // metrically wrong even when the level they point to is out of range.
    const slow = l.bpm * 2 <= maxBpm * 1.03 ? l.slow : 0.5 * l.slow;
    const fast = Math.max(l.fast2, l.fast3);
    l.score = Math.log(Math.max(1e-6, l.comb)) + Math.log(prior(l.bpm)) - 3 * slow - 3 * fast + 2 * l.fit;
  }
  levels.sort((a, b) => b.score - a.score);
  const chosen = levels[0];
  if (opts.debug) {
    for (const l of levels) {
      opts.debug(`${l.bpm.toFixed(2).padStart(7)} comb ${l.comb.toFixed(3)} clarity ${clarityOf(l.comb).toFixed(3)} on ${l.on.toFixed(2)} mid ${(l.mid / l.on).toFixed(2)} ` +
        `slow ${l.slow.toFixed(2)} fast ${l.fast2.toFixed(2)}/${l.fast3.toFixed(2)} fit ${l.fit.toFixed(2)} [${l.detail}] prior ${prior(l.bpm).toFixed(2)} score ${l.score.toFixed(2)}`);
    }
  }
  const clarity = clarityOf(chosen.comb);
  // No beat: the envelope is no more periodic at the best tempo than noise is (a drone, a pad,
  // noise, silence).
  if (!(clarity >= MIN_CLARITY) || !Number.isFinite(chosen.score)) return none;
  const margin = levels.length > 1 ? clamp01((chosen.score - levels[1].score) / 1.5) : 1;
  const beats = refineBeats(x, chosen.beats);
  return {
    bpm: fitTempo(beats, frameRate, chosen.bpm),
    confidence: clamp01(clarity / 0.3) * (0.4 + 0.6 * margin),
    alternatives: levels.slice(1).map((l) => ({ bpm: l.bpm, score: Math.exp(l.score - chosen.score) })),
    prepared: x,
    beats,
    pulse: { clarity, contrast: clamp01(1 - chosen.mid / Math.max(1e-9, chosen.on)), steadiness: steadiness(beats) },
  };
}

/**
 * Tracks beats at `bpm` and measures, in each frequency group (`parts`: low and mid), the onset
 * strength on the beats, halfway between them, and on even and odd beats; then `slow`, `fast` and
 * `fit` as described at the top of this file.
 */
function judge(x: Float32Array, parts: Float32Array[], frameRate: number, bpm: number, combValue: number): Level {
  const period = (60 * frameRate) / bpm;
  const beats = trackBeats(x, period);
  const peakNear = (e: Float32Array, t: number) => {
    const c = Math.round(t);
    let m = 0;
    for (let i = Math.max(0, c - 2); i <= Math.min(e.length - 1, c + 2); i++) if (e[i] > m) m = e[i];
    return m;
  };
  let on = 0, mid = 0;
  const eo = [0, 0];
  const n = beats.length - 1;
  if (n < 4) return { bpm, period, comb: combValue, beats, on: 0, mid: 0, slow: 0, fast2: 0, fast3: 0, fit: 0, detail: "", score: -Infinity };
  const g = parts.map(() => ({ on: 0, mid: 0, even: 0, odd: 0, mids: new Float32Array(n), thirds: [0, 0, 0] }));
  // Grid fit: the share of the onset strength within ±1 frame of the beats and their quarter
  // subdivisions, above what a grid that dense catches by chance.
  let caught = 0, all = 0, gridFrames = 0, frames = 0;
  for (let i = 0; i < n; i++) {
    const m = (beats[i] + beats[i + 1]) / 2;
    const sx = peakNear(x, beats[i]);
    on += sx;
    eo[i % 2] += sx;
    mid += peakNear(x, m);
    parts.forEach((p, j) => {
      const s = peakNear(p, beats[i]);
      const v = g[j];
      v.on += s;
      v.mids[i] = peakNear(p, m);
      v.mid += v.mids[i];
      if (i % 2) v.odd += s;
      else v.even += s;
      v.thirds[i % 3] += s;
    });
    const len = beats[i + 1] - beats[i];
    for (let t = beats[i]; t < beats[i + 1]; t++) {
      const q = ((t - beats[i]) / len) * 4;
      const near = Math.abs(q - Math.round(q)) * (len / 4) <= 1;
      frames++;
      all += x[t];
      if (near) (gridFrames++, (caught += x[t]));
    }
  }
  const chance = gridFrames / frames;
  const fit = all > 0 && chance < 1 ? clamp01((caught / all - chance) / (1 - chance)) : 0;
  // Groups with a fair share of the onset strength vote; an empty group (no bass) does not.
  const total = g.reduce((s, v) => s + v.on + v.mid, 0) || 1;
  const voters = g.filter((v) => (v.on + v.mid) / total >= MIN_VOTE);
  let slow = 0;
  for (const v of voters) {
    // How consistently something about as strong as the beats falls between them: a snare between
    // every pair of kicks, not a syncopated kick now and then.
    const ref = 0.5 * (v.on / n);
    let between = 0;
    for (let i = 0; i < n; i++) if (v.mids[i] >= ref) between++;
    slow = Math.max(slow, clamp01((between / n - 0.4) / 0.4));
  }
  // Parity: (even − odd) / (even + odd) per group. Fast when every group has the same beats weaker;
  // a group leaning the other way (the snare on the beats the kick leaves out) vetoes it.
  const parities = voters.map((v) => (v.even - v.odd) / Math.max(1e-9, v.even + v.odd));
  const agree = parities.every((p) => p > 0) || parities.every((p) => p < 0);
  const fast2 = agree && parities.length ? clamp01((Math.min(...parities.map(Math.abs)) - 0.1) / 0.3) : 0;
  // The same in threes: every group has the same one beat of each three stronger than the other two —
  // the "beats" are the eighth notes of a compound meter (6/8, 12/8: kick and snare both on the first
  // eighth of a group of three). A waltz's quarter notes (kick on 1, snare on 2 and 3) make the groups
  // disagree and are not "fast". (Meter from the periodic accent pattern of the pulse level, as in
  // Gouyon & Herrera, "Determination of the meter of musical audio signals: seeking recurrences in
  // beat segment descriptors", AES 114th Convention, 2003, and Klapuri, Eronen & Astola, "Analysis of
  // the meter of acoustic musical signals", IEEE TASLP 14(1), 2006, which judge the levels jointly.)
  const phases = voters.map((v) => {
    const k = v.thirds.indexOf(Math.max(...v.thirds));
    const others = (v.thirds[0] + v.thirds[1] + v.thirds[2] - v.thirds[k]) / 2;
    return { k, contrast: (v.thirds[k] - others) / Math.max(1e-9, v.thirds[k] + others) };
  });
  const agree3 = n >= 6 && phases.length > 0 && phases.every((p) => p.k === phases[0].k);
  const fast3 = agree3 ? clamp01((Math.min(...phases.map((p) => p.contrast)) - 0.1) / 0.3) : 0;
  const detail = `eo ${(Math.min(eo[0], eo[1]) / Math.max(eo[0], eo[1])).toFixed(2)} || ` + g.map((v) => `on ${(v.on / n).toFixed(2)} mid ${(v.mid / Math.max(1e-9, v.on)).toFixed(2)} par ${((v.even - v.odd) / Math.max(1e-9, v.even + v.odd)).toFixed(2)}`).join(" | ");
  return { bpm, period, comb: combValue, beats, on: on / n, mid: mid / n, slow, fast2, fast3, fit, detail, score: 0 };
}

/**
 * The tempo of a steady beat, from its beats: the slope of a least-squares line through beat time
 * against beat number — every beat helps, so it is finer than the comb's peak (whose lags are
 * interpolated between frames). Used only when the beats sit on that line (residuals under 5 % of a
 * beat) and agree with the comb within 2 %; otherwise (a tempo that drifts, a missed beat) the comb's
 * estimate stands.
 */
function fitTempo(beats: number[], frameRate: number, combBpm: number): number {
  const n = beats.length;
  if (n < 8) return combBpm;
  const mi = (n - 1) / 2;
  let mb = 0;
  for (const b of beats) mb += b;
  mb /= n;
  let sxy = 0, sxx = 0;
  for (let i = 0; i < n; i++) (sxy += (i - mi) * (beats[i] - mb)), (sxx += (i - mi) ** 2);
  const period = sxy / sxx;
  let res = 0;
  for (let i = 0; i < n; i++) res += (beats[i] - mb - period * (i - mi)) ** 2;
  const bpm = (60 * frameRate) / period;
  if (!(period > 0) || Math.sqrt(res / n) > 0.05 * period || Math.abs(bpm / combBpm - 1) > 0.02) return combBpm;
  return bpm;
}

/** 1 − (standard deviation of the beat intervals / their mean) / 0.1, clamped to 0 … 1. */
function steadiness(beats: number[]): number {
  if (beats.length < 3) return 0;
  let s = 0, sq = 0;
  const n = beats.length - 1;
  for (let i = 0; i < n; i++) {
    const d = beats[i + 1] - beats[i];
    s += d;
    sq += d * d;
  }
  const mean = s / n;
  const sd = Math.sqrt(Math.max(0, sq / n - mean * mean));
  return clamp01(1 - sd / mean / 0.1);
}
