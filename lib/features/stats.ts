// Small accumulators for streamed analysis, so a song's statistics never need its frames kept:
// running mean and standard deviation (Welford, "Note on a method for calculating corrected sums of
// squares and products", Technometrics 4(3), 1962 — stable where Σx² − (Σx)²/n is not), for scalars
// and vectors, and a growable Float32Array for the few per-frame series that are kept (the onset
// envelope: 4 bytes per 23 ms frame, about 0.6 MB for an hour).

/** Mean and (population) standard deviation of a stream of numbers. */
export class RunningStats {
  count = 0;
  private m = 0;
  private s = 0;

  push(x: number): void {
    this.count++;
    const d = x - this.m;
    this.m += d / this.count;
    this.s += d * (x - this.m);
  }

  get mean(): number {
    return this.count ? this.m : 0;
  }

  get std(): number {
    return this.count > 1 ? Math.sqrt(this.s / this.count) : 0;
  }
}

/** Element-wise mean and standard deviation of a stream of equal-length vectors. */
export class VectorStats {
  count = 0;
  private readonly m: Float64Array;
  private readonly s: Float64Array;

  constructor(readonly size: number) {
    this.m = new Float64Array(size);
    this.s = new Float64Array(size);
  }

  push(x: ArrayLike<number>): void {
    this.count++;
    const { m, s } = this;
    for (let i = 0; i < this.size; i++) {
      const d = x[i] - m[i];
      m[i] += d / this.count;
      s[i] += d * (x[i] - m[i]);
    }
  }

  mean(): number[] {
    return Array.from(this.m, (v) => (this.count ? v : 0));
  }

  std(): number[] {
    return Array.from(this.s, (v) => (this.count > 1 ? Math.sqrt(v / this.count) : 0));
  }
}

/** An append-only Float32 series that doubles its storage as it grows. */
export class Series {
  private data: Float32Array;
  length = 0;

  constructor(initial = 4096) {
    this.data = new Float32Array(initial);
  }

  push(v: number): void {
    if (this.length === this.data.length) {
      const bigger = new Float32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = v;
  }

  /** The values so far (a view: later pushes may or may not show in it). */
  view(): Float32Array {
    return this.data.subarray(0, this.length);
  }
}

export const clamp01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : Number.isFinite(x) ? x : 0);
