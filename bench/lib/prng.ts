// A small seeded PRNG (mulberry32) and sampling helpers, so generated data and query mixes are
// identical from run to run.

export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [lo, hi] (both inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Roughly normal (sum of three uniforms), clamped to [lo, hi]. */
  normal(mean: number, spread: number, lo: number, hi: number): number {
    const z = (this.next() + this.next() + this.next() - 1.5) * 2; // ≈ [-3, 3]
    return Math.min(hi, Math.max(lo, Math.round(mean + z * spread)));
  }
}

/**
 * Samples indexes 0..n-1 with Zipf weights 1/(i+1)^s: index 0 is the most frequent. Real
 * catalogues look like this — a few words and artists everywhere, a long tail of rare ones.
 */
export class Zipf {
  private readonly cumulative: Float64Array;

  constructor(n: number, s: number) {
    this.cumulative = new Float64Array(n);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      sum += 1 / Math.pow(i + 1, s);
      this.cumulative[i] = sum;
    }
  }

  sample(rng: Rng): number {
    const c = this.cumulative;
    const target = rng.next() * c[c.length - 1];
    let lo = 0;
    let hi = c.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (c[mid] < target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
