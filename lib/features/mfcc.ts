// Mel-frequency cepstral coefficients, summarized over a song: per frame, the log mel band energies
// (mel.ts) are turned by a DCT-II into cepstral coefficients — the smooth shape of the spectral
// envelope, largely independent of pitch (Davis & Mermelstein, "Comparison of parametric
// representations for monosyllabic word recognition in continuously spoken sentences", IEEE Trans.
// ASSP 28(4), 1980) — and only their running mean and standard deviation are kept: the "timbre
// summary" used for music similarity since Logan ("Mel frequency cepstral coefficients for music
// modeling", ISMIR 2000) and Aucouturier & Pachet. Energies are in dB (10·log10, floored at −100 dB
// full scale), the DCT orthonormal, so c0/√bands is the mean band level in dB. Frames of digital
// silence are skipped by the caller, so a long silent tail does not drag the means.
import { VectorStats } from "./stats.js";

export class MfccAccumulator {
  readonly stats: VectorStats;
  private readonly basis: Float64Array;
  private readonly logMel: Float64Array;
  private readonly coeffs: Float64Array;

  /** `bands` mel bands in, `coefficients` out (c0 … c_{k−1}). */
  constructor(readonly bands: number, readonly coefficients = 13) {
    if (coefficients > bands) throw new RangeError("more coefficients than mel bands");
    this.stats = new VectorStats(coefficients);
    this.logMel = new Float64Array(bands);
    this.coeffs = new Float64Array(coefficients);
    // Orthonormal DCT-II: c_k = s_k Σ_m x_m cos(πk(m + ½)/M), s_0 = √(1/M), s_k = √(2/M).
    this.basis = new Float64Array(coefficients * bands);
    for (let k = 0; k < coefficients; k++) {
      const s = Math.sqrt((k === 0 ? 1 : 2) / bands);
      for (let m = 0; m < bands; m++) this.basis[k * bands + m] = s * Math.cos((Math.PI * k * (m + 0.5)) / bands);
    }
  }

  /** Adds one frame's mel band energies (multiplied by `scale` to make 1 full scale). */
  push(mel: ArrayLike<number>, scale: number): void {
    const { bands, logMel, coeffs, basis } = this;
    for (let m = 0; m < bands; m++) logMel[m] = 10 * Math.log10(Math.max(1e-10, mel[m] * scale));
    for (let k = 0; k < this.coefficients; k++) {
      let s = 0;
      const o = k * bands;
      for (let m = 0; m < bands; m++) s += basis[o + m] * logMel[m];
      coeffs[k] = s;
    }
    this.stats.push(coeffs);
  }

  result(): { mean: number[]; std: number[] } {
    return { mean: this.stats.mean(), std: this.stats.std() };
  }
}
