// Loudness of a song, two ways.
// 1. The figures a player needs — integrated loudness, loudness range, true peak, and the gain to a
//    target level. r128.ts measures the first two (EBU R128 / ITU-R BS.1770-4: K-weighting, 400 ms
//    blocks, the absolute −70 LUFS and relative −10 LU gates; loudness range per EBU Tech 3342) and
//    truepeak.ts the true peak, both on the original channels and rate, from the samples the ffmpeg
//    process that decodes the analysis PCM hands over (lib/media/pcm.ts, option `original`): ffmpeg's
//    own `ebur128` filter (resampling to 48 kHz, and to 192 kHz for its true peak) costs more than
//    both together. ffmpeg's `ebur128` remains the reference they are tested against, and an option
//    of analyzeFile. `toLoudness` shapes the figures. The default target is −18 LUFS, the reference
//    level of ReplayGain 2.0, so `gainDb` can be served as a ReplayGain/OpenSubsonic track gain;
//    streaming services normalize to about −14 (pass targetLufs: −14 for that).
// 2. Inside the analyzer, where only the mono PCM is at hand, `GatedLevel` measures the mean level
//    the BS.1770 way — mean square over 400 ms blocks every 100 ms, the absolute and relative gates —
//    but without K-weighting and on the mono mix: a proxy for loudness that the energy estimate uses,
//    so FeatureAnalyzer gives the same energy with or without ffmpeg. Blocks go into a histogram of
//    0.1 dB bins (the way ffmpeg's own ebur128 keeps them), so memory does not grow with the song.

/** ReplayGain 2.0's reference loudness. */
export const DEFAULT_TARGET_LUFS = -18;
/** The true peak a gain should stay under (EBU R 128: a maximum true-peak level of −1 dBTP). */
export const PEAK_CEILING_DBTP = -1;
/** Reported for digital silence instead of −∞ (the noise floor of 24-bit audio). */
export const SILENCE_DB = -144;

export interface Loudness {
  /** Integrated loudness, LUFS (−70 for silence, as ffmpeg reports it). */
  integratedLufs: number;
  /** True peak over all channels, dBTP (sample peak in dBFS if true peak was not measured). */
  truePeakDbtp: number;
  loudnessRangeLu: number;
  /** Gain that brings the integrated loudness to targetLufs. */
  gainDb: number;
  targetLufs: number;
  /** gainDb, lowered where needed so the true peak stays at or under −1 dBTP. */
  peakSafeGainDb: number;
}

/** What a loudness meter reports: r128.ts with truepeak.ts, or ffmpeg's ebur128 summary (pcm.ts). */
export interface LoudnessSummary {
  integratedLufs: number;
  loudnessRangeLu: number;
  /** dB; −Infinity for digital silence; null when not measured. */
  peakDb: number | null;
}

/** The Loudness record from a meter's summary; `peakDb` (a peak measured elsewhere) replaces the
 * summary's peak when given. */
export function toLoudness(s: LoudnessSummary, targetLufs = DEFAULT_TARGET_LUFS, peakDb: number | null = s.peakDb): Loudness {
  if (peakDb === null) throw new Error("no peak: measure one");
  const peak = Number.isFinite(peakDb) ? Math.round(peakDb * 100) / 100 : SILENCE_DB;
  const gainDb = round2(targetLufs - s.integratedLufs);
  return {
    integratedLufs: s.integratedLufs,
    truePeakDbtp: peak,
    loudnessRangeLu: s.loudnessRangeLu,
    gainDb,
    targetLufs,
    peakSafeGainDb: round2(Math.min(gainDb, PEAK_CEILING_DBTP - peak)),
  };
}

const round2 = (x: number) => Math.round(x * 100) / 100;

const BIN_DB = 0.1;
const FLOOR_DB = -100;
const BINS = Math.round(-FLOOR_DB / BIN_DB) + 1;

/** BS.1770-style gated mean level of a mono signal, without K-weighting (see above). */
export class GatedLevel {
  private readonly step: number;
  private readonly hist = new Float64Array(BINS);
  /** Sum of squares of the current 100 ms step, and of the last 4 steps. */
  private acc = 0;
  private filled = 0;
  private readonly steps = new Float64Array(4);
  private stepCount = 0;
  private peak = 0;

  constructor(readonly sampleRate: number) {
    this.step = Math.round(sampleRate / 10);
  }

  push(block: Float32Array): void {
    let { acc, filled, peak } = this;
    const step = this.step;
    for (let i = 0; i < block.length; i++) {
      const v = block[i];
      acc += v * v;
      if (v > peak) peak = v;
      else if (-v > peak) peak = -v;
      if (++filled === step) {
        this.steps[this.stepCount++ % 4] = acc;
        if (this.stepCount >= 4) {
          const ms = (this.steps[0] + this.steps[1] + this.steps[2] + this.steps[3]) / (4 * step);
          const db = 10 * Math.log10(ms + 1e-20);
          if (db > FLOOR_DB) this.hist[Math.min(BINS - 1, Math.round((db - FLOOR_DB) / BIN_DB))]++;
        }
        acc = 0;
        filled = 0;
      }
    }
    this.acc = acc;
    this.filled = filled;
    this.peak = peak;
  }

  /** Gated mean level in dBFS (a full-scale sine reads −3); −100 when everything was gated out. */
  levelDb(): number {
    const mean = (fromDb: number) => {
      let e = 0, n = 0;
      for (let b = Math.max(0, Math.ceil((fromDb - FLOOR_DB) / BIN_DB)); b < BINS; b++) {
        if (!this.hist[b]) continue;
        e += this.hist[b] * 10 ** ((FLOOR_DB + b * BIN_DB) / 10);
        n += this.hist[b];
      }
      return n ? 10 * Math.log10(e / n) : FLOOR_DB;
    };
    const ungated = mean(-70);
    if (ungated <= FLOOR_DB) return FLOOR_DB;
    return mean(ungated - 10);
  }

  /** Sample peak of the mono signal, dBFS. */
  peakDb(): number {
    return this.peak > 0 ? 20 * Math.log10(this.peak) : SILENCE_DB;
  }
}
