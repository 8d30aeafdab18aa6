// Mel filterbank: the power spectrum of a frame (n/2+1 bins, as RealFft.power and Stft give it) summed
// into bands of equal width on the mel scale, triangular and overlapping by half — the front end of
// MFCCs (Davis & Mermelstein, "Comparison of parametric representations for monosyllabic word
// recognition in continuously spoken sentences", IEEE Trans. ASSP 28(4), 1980) and of the onset
// envelope (onset.ts). Mel scale: m = 2595·log10(1 + f/700) (O'Shaughnessy 1987, as in HTK).
// Triangles have a peak of 1 (not unit area): band energies are comparable to a bin's power.
// The weights are stored sparse — each band touches only the bins under its triangle — so a frame
// costs about twice the number of bins in multiply-adds.

export const hzToMel = (hz: number): number => 2595 * Math.log10(1 + hz / 700);
export const melToHz = (mel: number): number => 700 * (10 ** (mel / 2595) - 1);

export interface MelOptions {
  /** FFT size of the frames (the spectrum has n/2+1 bins). */
  n: number;
  sampleRate: number;
  bands: number;
  /** Edges of the lowest and highest triangles in Hz; default 0 and sampleRate/2. */
  fMin?: number;
  fMax?: number;
}

export class MelFilterbank {
  readonly bands: number;
  /** First bin of each band. */
  private readonly start: Uint32Array;
  /** Weights of each band, bins start … start+len−1, one array after another. */
  private readonly offset: Uint32Array;
  private readonly len: Uint32Array;
  private readonly weights: Float32Array;
  /** Centre frequency of each band in Hz. */
  readonly centres: Float64Array;

  constructor({ n, sampleRate, bands, fMin = 0, fMax = sampleRate / 2 }: MelOptions) {
    if (!(bands >= 1 && fMin >= 0 && fMax > fMin && fMax <= sampleRate / 2)) throw new RangeError("bad mel filterbank options");
    this.bands = bands;
    const bins = n / 2 + 1;
    const lo = hzToMel(fMin), hi = hzToMel(fMax);
    const edge = Array.from({ length: bands + 2 }, (_, i) => melToHz(lo + ((hi - lo) * i) / (bands + 1)));
    this.centres = Float64Array.from(edge.slice(1, -1));
    this.start = new Uint32Array(bands);
    this.offset = new Uint32Array(bands);
    this.len = new Uint32Array(bands);
    const all: number[] = [];
    const binHz = sampleRate / n;
    for (let b = 0; b < bands; b++) {
      const [l, c, r] = [edge[b], edge[b + 1], edge[b + 2]];
      const first = Math.max(0, Math.ceil(l / binHz));
      const last = Math.min(bins - 1, Math.floor(r / binHz));
      this.start[b] = first;
      this.offset[b] = all.length;
      for (let k = first; k <= last; k++) {
        const f = k * binHz;
        all.push(f <= c ? (f - l) / (c - l) : (r - f) / (r - c));
      }
      // A band narrower than a bin still gets the nearest bin, so no band is always empty.
      if (last < first) {
        this.start[b] = Math.min(bins - 1, Math.round(c / binHz));
        all.push(1);
      }
      this.len[b] = all.length - this.offset[b];
    }
    this.weights = Float32Array.from(all);
  }

  /** Band energies of one power spectrum into `out` (length ≥ bands). */
  apply(power: ArrayLike<number>, out: Float32Array | Float64Array): void {
    const { start, offset, len, weights } = this;
    for (let b = 0; b < this.bands; b++) {
      let s = 0;
      const k0 = start[b], o = offset[b];
      for (let i = 0, m = len[b]; i < m; i++) s += weights[o + i] * power[k0 + i];
      out[b] = s;
    }
  }
}
