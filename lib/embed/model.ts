// The embedding model: fitted on the user's own library, no weights from elsewhere. From song
// descriptors (descriptor.ts) it learns
//   1. each dimension's mean and spread, to standardise (and to fill in what a song lacks),
//   2. the group weights that give timbre, spectrum, rhythm, dynamics and mood their share,
//   3. the principal axes of the weighted, standardised library (PCA: Pearson 1901, Hotelling
//      1933), keeping the fewest axes that hold `keepVariance` of the variance, at most `maxDims`.
// A song's vector is its descriptor taken through those three steps — one k × D matrix after the
// centring — so Euclidean distance between vectors approximates the weighted distance between
// descriptors with the noise of the smallest axes removed, in a space small enough that a scan of
// every song answers a query (neighbours.ts). Distances are reported normalised to 0 … 1 by the
// library's own spread (`distanceScale`: the 99th percentile of distances between random pairs), so
// 0 is the same sound and 1 is as far apart as songs of this library get.
//
// The model is refitted as the library grows (the embed service decides when); a refit re-projects
// every stored descriptor, which is cheap next to describing the songs.
import { DESCRIPTOR_SIZE, DESCRIPTOR_VERSION, DIMENSION_WEIGHTS } from "./descriptor.js";
import { covariance, squaredDistance, symmetricEigen } from "./linalg.js";

/** Bump when fitting or projecting changes: every song gets a new vector. */
export const MODEL_VERSION = 1;
/** The embed stage's version: a new descriptor or model algorithm re-runs the stage for every song. */
export const EMBED_VERSION = DESCRIPTOR_VERSION * 100 + MODEL_VERSION;

export interface EmbedModel {
  version: number;
  descriptorVersion: number;
  /** Songs the model was fitted on. */
  songs: number;
  /** Size of the vectors. */
  dims: number;
  /** Per descriptor dimension: the library mean (missing values take it) and the standard deviation. */
  center: number[];
  scale: number[];
  /** dims × DESCRIPTOR_SIZE: group weights and principal axes in one matrix. */
  projection: number[][];
  /** Share of the weighted variance the kept axes hold. */
  explained: number;
  /** Distance that counts as 1 (the most different songs of the library). */
  distanceScale: number;
}

export interface FitOptions {
  maxDims?: number;
  keepVariance?: number;
  /** Random pairs measured for distanceScale. */
  pairs?: number;
}

/** Standardised values further out than this are clipped: one odd measurement cannot fling a song away. */
const CLIP = 6;

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Standardised, clipped, weighted descriptor (missing values at the mean, i.e. 0). */
function weighted(d: ArrayLike<number>, center: ArrayLike<number>, scale: ArrayLike<number>, out: Float64Array): Float64Array {
  for (let j = 0; j < DESCRIPTOR_SIZE; j++) {
    const x = d[j];
    const z = Number.isFinite(x) ? (x - center[j]) / scale[j] : 0;
    out[j] = Math.max(-CLIP, Math.min(CLIP, z)) * DIMENSION_WEIGHTS[j];
  }
  return out;
}

/** Fits a model on at least two descriptors (of DESCRIPTOR_SIZE values; NaN where not measured). */
export function fitModel(descriptors: ArrayLike<number>[], opts: FitOptions = {}): EmbedModel {
  const n = descriptors.length;
  if (n < 2) throw new RangeError("an embedding model needs at least two songs");
  const maxDims = opts.maxDims ?? 16, keepVariance = opts.keepVariance ?? 0.95;
  const center = new Array<number>(DESCRIPTOR_SIZE).fill(0);
  const scale = new Array<number>(DESCRIPTOR_SIZE).fill(1);
  for (let j = 0; j < DESCRIPTOR_SIZE; j++) {
    let count = 0, sum = 0, sq = 0;
    for (const d of descriptors) {
      const x = d[j];
      if (!Number.isFinite(x)) continue;
      count++;
      sum += x;
      sq += x * x;
    }
    if (!count) continue;
    const mean = sum / count;
    const sd = Math.sqrt(Math.max(0, sq / count - mean * mean));
    center[j] = mean;
    // A dimension that does not vary in this library says nothing about it (and must not blow up
    // the next song that differs): it gets a scale so wide its values stay near 0.
    scale[j] = sd > 1e-9 * Math.max(1, Math.abs(mean)) ? sd : 1e9;
  }
  const rows = descriptors.map((d) => weighted(d, center, scale, new Float64Array(DESCRIPTOR_SIZE)));
  const { cov } = covariance(rows, DESCRIPTOR_SIZE);
  const { values, vectors } = symmetricEigen(cov);
  const total = values.reduce((s, v) => s + Math.max(0, v), 0);
  let dims = 0, kept = 0;
  while (dims < Math.min(maxDims, DESCRIPTOR_SIZE) && values[dims] > 1e-12 * Math.max(total, 1e-300)) {
    kept += values[dims];
    dims++;
    if (kept >= keepVariance * total) break;
  }
  dims = Math.max(1, dims);
  const projection = vectors.slice(0, dims).map((v) => Array.from(v));
  const model: EmbedModel = {
    version: MODEL_VERSION,
    descriptorVersion: DESCRIPTOR_VERSION,
    songs: n,
    dims,
    center,
    scale,
    projection,
    explained: total > 0 ? Math.min(1, kept / total) : 1,
    distanceScale: 1,
  };
  const projected = descriptors.map((d) => project(model, d));
  const random = lcg(n * 7919 + dims);
  const pairs = Math.min(opts.pairs ?? 4000, (n * (n - 1)) / 2);
  const dists: number[] = [];
  if (pairs >= (n * (n - 1)) / 2) {
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) dists.push(euclidean(projected[i], projected[j]));
  } else {
    while (dists.length < pairs) {
      const i = Math.floor(random() * n), j = Math.floor(random() * n);
      if (i !== j) dists.push(euclidean(projected[i], projected[j]));
    }
  }
  dists.sort((a, b) => a - b);
  const p99 = dists[Math.min(dists.length - 1, Math.floor(0.99 * dists.length))];
  model.distanceScale = p99 > 0 ? p99 : 1;
  return model;
}

/** A descriptor's vector in the model's space. */
export function project(model: EmbedModel, descriptor: ArrayLike<number>): Float32Array {
  const w = weighted(descriptor, model.center, model.scale, new Float64Array(DESCRIPTOR_SIZE));
  const out = new Float32Array(model.dims);
  for (let k = 0; k < model.dims; k++) {
    const axis = model.projection[k];
    let s = 0;
    for (let j = 0; j < DESCRIPTOR_SIZE; j++) s += axis[j] * w[j];
    out[k] = s;
  }
  return out;
}

export function euclidean(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return Math.sqrt(squaredDistance(a, 0, b, 0, a.length));
}

/** A distance in the model's space as 0 (same sound) … 1 (as different as this library gets), rounded to 4 places. */
export function normalizedDistance(model: Pick<EmbedModel, "distanceScale">, distance: number): number {
  return Math.round(Math.min(1, distance / model.distanceScale) * 1e4) / 1e4;
}

/** Whether a model fitted on `fittedOn` songs should be refitted now that the library has `songs`. */
export function needsRefit(model: Pick<EmbedModel, "songs" | "version" | "descriptorVersion"> | null, songs: number, growth = 1.2): boolean {
  if (songs < 2) return false;
  if (!model || model.version !== MODEL_VERSION || model.descriptorVersion !== DESCRIPTOR_VERSION) return true;
  return songs >= Math.ceil(model.songs * growth) || songs < model.songs / growth;
}
