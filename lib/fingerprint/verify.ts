// Verifying a candidate match at the level of spectral peaks, after the hash vote (match.ts) has
// named it. A landmark hash (f1, df, dt) at frame t stands for two peaks, (t, f1) and (t + dt, f1 +
// df), so both fingerprints give back their peak constellations — the song's from its stored
// landmarks, the clip's from its (denser) query landmarks. Wang (ISMIR 2003) verifies a candidate by
// the diagonal of its scatterplot; here the test is finer-grained and has a null distribution of its
// own:
// - at the candidate's offset, count the song's peaks over the clip's span that have a clip peak
//   within ±TOL_T frames and ±TOL_F bins ("hits" out of `peaks`). Exact hash hits need two peaks
//   and three numbers to agree exactly; a peak hit needs one peak, nearly — so a clip whose peaks
//   moved a bin or a frame (band-limiting, reverb, a codec, a small speed error) still verifies,
//   and a coincidence of a few hashes in a short burst does not (its other peaks do not line up);
// - the chance level: the same count at NULL_OFFSETS other offsets of the same song (a permutation
//   test, as in audfprint's and Panako's practice of comparing with what random alignments give).
//   Their median rate p0 is what this song's constellation hits in this clip's by chance (it follows
//   both densities, and how the song's peaks crowd into the clip's frequency range);
// - z = (hits − peaks·p0) / √(peaks·p0·(1 − p0)), the binomial z-score of the hits.
// A right match has z far above anything a coincidence reaches (measured on the benchmark's
// false-positive corpus: see match.ts for the threshold and bench/fingerprint for the figures).
// The median makes the chance level robust to a song that repeats itself (a loop, a chorus): a few
// of the other offsets may match as well as the right one, the median does not move.
import { FRAME_SEC, type Fingerprint } from "./landmarks.js";

const DF_BITS = 7;
const DT_BITS = 6;
const BINS = 256;
/** A song peak is hit when a clip peak lies within ±TOL_T frames and ±TOL_F bins of it. */
const TOL_T = 1;
const TOL_F = 1;
/** Other offsets the chance level is measured at. */
const NULL_OFFSETS = 24;

/** Peaks of a fingerprint, unique, sorted by frame then bin: key = frame · 256 + bin. */
export function peaksOf(fp: Pick<Fingerprint, "hashes" | "times">): Float64Array {
  const n = fp.hashes.length;
  const keys = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    const h = fp.hashes[i], t = fp.times[i];
    const f1 = h >>> (DF_BITS + DT_BITS);
    const df = ((h >>> DT_BITS) & ((1 << DF_BITS) - 1)) - (1 << (DF_BITS - 1));
    const dt = h & ((1 << DT_BITS) - 1);
    keys[2 * i] = t * BINS + f1;
    keys[2 * i + 1] = (t + dt) * BINS + Math.max(0, Math.min(BINS - 1, f1 + df));
  }
  keys.sort();
  let m = 0;
  for (let i = 0; i < keys.length; i++) if (i === 0 || keys[i] !== keys[i - 1]) keys[m++] = keys[i];
  return keys.slice(0, m);
}

/** The clip's peaks, dilated by the tolerance: a bitmap over (frame, bin). */
export interface ClipMap {
  frames: number;
  cells: Uint8Array;
}

export function clipMap(query: Pick<Fingerprint, "hashes" | "times" | "frames">): ClipMap {
  const peaks = peaksOf(query);
  const frames = Math.max(query.frames, peaks.length ? Math.floor(peaks[peaks.length - 1] / BINS) + 1 : 0);
  const cells = new Uint8Array(frames * BINS);
  for (let i = 0; i < peaks.length; i++) {
    const t = Math.floor(peaks[i] / BINS), f = peaks[i] - t * BINS;
    for (let a = Math.max(0, t - TOL_T); a <= Math.min(frames - 1, t + TOL_T); a++) {
      for (let b = Math.max(0, f - TOL_F); b <= Math.min(BINS - 1, f + TOL_F); b++) cells[a * BINS + b] = 1;
    }
  }
  return { frames, cells };
}

export interface Verification {
  /** Song peaks over the clip's span at the offset, and those with a clip peak next to them. */
  peaks: number;
  hits: number;
  /** hits / peaks, and the chance rate (median over other offsets). */
  rate: number;
  nullRate: number;
  /** Binomial z-score of the hits against the chance rate. */
  z: number;
  /** Seconds of the clip (1 s buckets) holding hits. */
  hitSec: number;
}

/** Song peaks in song frames [from, to), counted against the clip map at `offset` (song − clip frame). */
function count(song: Float64Array, map: ClipMap, offset: number, buckets?: Uint8Array): { peaks: number; hits: number } {
  const from = offset, to = offset + map.frames;
  // First peak at or after `from` (binary search over the sorted keys).
  let lo = 0, hi = song.length;
  const key = from * BINS;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (song[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  let peaks = 0, hits = 0;
  for (let i = lo; i < song.length; i++) {
    const t = Math.floor(song[i] / BINS);
    if (t >= to) break;
    const f = song[i] - t * BINS;
    peaks++;
    if (map.cells[(t - offset) * BINS + f]) {
      hits++;
      if (buckets) buckets[Math.floor((t - offset) * FRAME_SEC)] = 1;
    }
  }
  return { peaks, hits };
}

/**
 * Verifies that the clip (`map`, from clipMap) sits in the song (`songPeaks`, from peaksOf of its
 * stored fingerprint) at `offsetFrames` (song frame − clip frame; match.ts's offsetFrames).
 */
export function verifyAt(songPeaks: Float64Array, songFrames: number, map: ClipMap, offsetFrames: number): Verification {
  const buckets = new Uint8Array(Math.ceil(map.frames * FRAME_SEC) + 1);
  const at = count(songPeaks, map, offsetFrames, buckets);
  // Other offsets, spread over the song, away from this one by more than the clip's length.
  const rates: number[] = [];
  const span = Math.max(1, songFrames - map.frames);
  for (let k = 0; k < NULL_OFFSETS; k++) {
    let o = Math.round(((k + 0.5) / NULL_OFFSETS) * span);
    if (Math.abs(o - offsetFrames) < map.frames) o = (o + 2 * map.frames) % Math.max(1, span);
    if (Math.abs(o - offsetFrames) < map.frames) continue;
    const c = count(songPeaks, map, o);
    if (c.peaks >= 10) rates.push(c.hits / c.peaks);
  }
  rates.sort((a, b) => a - b);
  // With no other offset to compare with (a song hardly longer than the clip), assume the clip's own
  // cell density: the chance that a random cell is marked.
  let p0 = rates.length >= 5 ? rates[rates.length >> 1] : density(map);
  p0 = Math.min(0.95, Math.max(p0, density(map) * 0.5, 0.005));
  const rate = at.peaks ? at.hits / at.peaks : 0;
  const z = at.peaks ? (at.hits - at.peaks * p0) / Math.sqrt(at.peaks * p0 * (1 - p0)) : 0;
  let hitSec = 0;
  for (const b of buckets) hitSec += b;
  return { peaks: at.peaks, hits: at.hits, rate, nullRate: p0, z, hitSec };
}

function density(map: ClipMap): number {
  let n = 0;
  for (let i = 0; i < map.cells.length; i++) n += map.cells[i];
  return n / Math.max(1, map.cells.length);
}
