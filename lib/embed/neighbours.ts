// Nearest neighbours and paths in the sonic space, over every song's vector held in one flat
// Float32Array. A library of 100,000 songs with 16-dimensional vectors is 6.4 MB and one exact
// scan of it takes a few milliseconds, so there is no approximate index to build, keep in step or
// get wrong: every answer is the true nearest.
//
// Paths (findSonicPath) follow Flexer, Schnitzer, Gasser & Widmer, "Playlist generation using start
// and end songs" (ISMIR 2008): songs that lie between the two ends, in order, so that the sound
// changes gradually. Here "gradually" is made exact: of the songs with the least detour (the
// distance start → song → end), the path is the sequence of `count` songs whose sum of squared
// steps is smallest — squares, so that one big jump costs more than several small ones and the path
// passes through songs between two styles rather than leaping from one to the other — found by
// dynamic programming over the number of steps (Bellman 1958's shortest paths with a fixed number
// of hops): steps × candidates² additions, about 10 ms for 25 songs. A playlist of `count` songs is
// what was asked for, so the path has that many even when the two ends are close.
import { squaredDistance } from "./linalg.js";

/** Songs considered for a path's middle, at least (more for long paths): those with the least detour. */
const PATH_CANDIDATES = 200;

export interface Neighbour {
  id: number;
  /** Euclidean distance in the vectors' space. */
  distance: number;
}

export class VectorIndex {
  private ids: number[] = [];
  private readonly slot = new Map<number, number>();
  private data: Float32Array;

  constructor(readonly dims: number, capacity = 1024) {
    if (!(dims >= 1)) throw new RangeError("dims must be at least 1");
    this.data = new Float32Array(dims * Math.max(1, capacity));
  }

  get size(): number {
    return this.ids.length;
  }

  has(id: number): boolean {
    return this.slot.has(id);
  }

  get(id: number): Float32Array | undefined {
    const i = this.slot.get(id);
    return i === undefined ? undefined : this.data.slice(i * this.dims, (i + 1) * this.dims);
  }

  set(id: number, vector: ArrayLike<number>): void {
    if (vector.length !== this.dims) throw new RangeError(`vector has ${vector.length} values, the index ${this.dims}`);
    let i = this.slot.get(id);
    if (i === undefined) {
      i = this.ids.length;
      if ((i + 1) * this.dims > this.data.length) {
        const grown = new Float32Array(this.data.length * 2);
        grown.set(this.data);
        this.data = grown;
      }
      this.ids.push(id);
      this.slot.set(id, i);
    }
    this.data.set(vector, i * this.dims);
  }

  delete(id: number): boolean {
    const i = this.slot.get(id);
    if (i === undefined) return false;
    const last = this.ids.length - 1;
    if (i !== last) {
      const moved = this.ids[last];
      this.ids[i] = moved;
      this.slot.set(moved, i);
      this.data.copyWithin(i * this.dims, last * this.dims, (last + 1) * this.dims);
    }
    this.ids.pop();
    this.slot.delete(id);
    return true;
  }

  /** The `count` vectors nearest to `query`, nearest first, leaving out ids `skip` says to. */
  nearest(query: ArrayLike<number>, count: number, skip: (id: number) => boolean = () => false): Neighbour[] {
    const dims = this.dims, data = this.data, ids = this.ids;
    // The best so far, kept sorted by squared distance (count is small: a linear insert is fastest).
    const bestD: number[] = [], bestI: number[] = [];
    let worst = Infinity;
    for (let i = 0; i < ids.length; i++) {
      const d = squaredDistance(data, i * dims, query, 0, dims);
      if (bestD.length >= count && d >= worst) continue;
      if (skip(ids[i])) continue;
      let at = bestD.length;
      while (at > 0 && bestD[at - 1] > d) at--;
      bestD.splice(at, 0, d);
      bestI.splice(at, 0, i);
      if (bestD.length > count) {
        bestD.pop();
        bestI.pop();
      }
      if (bestD.length >= count) worst = bestD[bestD.length - 1];
    }
    return bestI.map((i, k) => ({ id: ids[i], distance: Math.sqrt(bestD[k]) }));
  }

  /**
   * `count` songs (fewer only when the library has fewer) from `startId` to `endId`, both included,
   * first and last, that lead from one to the other in the smallest steps. Songs `skip` says to
   * leave out are not used between the ends. Throws when an end is not in the index.
   */
  path(startId: number, endId: number, count: number, skip: (id: number) => boolean = () => false): number[] {
    const s = this.get(startId), e = this.get(endId);
    if (!s || !e) throw new RangeError(`song ${s ? endId : startId} has no vector`);
    if (startId === endId || count <= 1) return [startId];
    if (count === 2) return [startId, endId];
    const dims = this.dims, data = this.data, ids = this.ids;
    // Candidates: the songs with the smallest detour d(start, song) + d(song, end) — the best m of
    // them found by selection (smallest(): no sort of the whole library).
    const detour = new Float64Array(ids.length);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      detour[i] = id === startId || id === endId || skip(id) ? Infinity
        : Math.sqrt(squaredDistance(data, i * dims, s, 0, dims)) + Math.sqrt(squaredDistance(data, i * dims, e, 0, dims));
    }
    const cands = smallest(detour, Math.max(PATH_CANDIDATES, 8 * count));
    // Nodes: 0 the start, 1 … m the candidates, m + 1 the end; squared distances between them all.
    const nodes = [s, ...cands.map((i) => data.subarray(i * dims, (i + 1) * dims)), e];
    const N = nodes.length, END = N - 1;
    const d2 = new Float64Array(N * N);
    for (let a = 0; a < N; a++) for (let b = a + 1; b < N; b++) d2[a * N + b] = d2[b * N + a] = squaredDistance(nodes[a], 0, nodes[b], 0, dims);
    // cost[v] after k steps: the least sum of squared steps from the start to v in exactly k steps.
    const K = Math.min(count - 1, N - 1);
    let prev = new Float64Array(N).fill(Infinity), cur = new Float64Array(N);
    prev[0] = 0;
    const back: Int32Array[] = [];
    back.push(new Int32Array(N).fill(0));
    for (let k = 1; k <= K; k++) {
      const from = new Int32Array(N).fill(-1);
      cur.fill(Infinity);
      // The end only as the last node, the start never again.
      for (let v = 1; v < N; v++) {
        let best = Infinity, arg = -1;
        for (let u = 0; u < END; u++) {
          if (u === v || prev[u] === Infinity) continue;
          const c = prev[u] + d2[u * N + v];
          if (c < best) (best = c), (arg = u);
        }
        cur[v] = best;
        from[v] = arg;
      }
      back.push(from);
      if (k < K) cur[END] = Infinity;
      [prev, cur] = [cur, prev];
    }
    const order: number[] = [END];
    for (let k = K, v = END; k > 0; k--) order.push((v = back[k][v]));
    order.reverse();
    // The steps may pass a song twice (nothing above forbids it, and among close songs a zig-zag can
    // be cheapest): keep its first visit, then fill the path back up to `count` by cheapest insertion
    // — the unused song and the gap where it adds the least to the sum of squared steps.
    const path: number[] = [];
    const used = new Uint8Array(N);
    for (const node of order) if (!used[node]) (used[node] = 1), path.push(node);
    while (path.length < K + 1) {
      let best = Infinity, at = -1, pick = -1;
      for (let c = 1; c < END; c++) {
        if (used[c]) continue;
        for (let g = 0; g + 1 < path.length; g++) {
          const a = path[g], b = path[g + 1];
          const added = d2[a * N + c] + d2[c * N + b] - d2[a * N + b];
          if (added < best) (best = added), (at = g + 1), (pick = c);
        }
      }
      if (pick < 0) break;
      used[pick] = 1;
      path.splice(at, 0, pick);
    }
    return path.map((node) => (node === 0 ? startId : node === END ? endId : ids[cands[node - 1]]));
  }
}

/** Indices of the (at most) `m` smallest finite values of `v`, smallest first: a threshold found by
 * quickselect (Hoare's FIND) on a copy, then one pass — linear time, where a sort is n log n. */
export function smallest(v: Float64Array, m: number): number[] {
  const finite = v.filter(Number.isFinite);
  if (finite.length <= m) return Array.from(v.keys()).filter((i) => Number.isFinite(v[i])).sort((a, b) => v[a] - v[b]);
  // The m-th smallest value (index m − 1) by quickselect.
  let lo = 0, hi = finite.length - 1;
  const k = m - 1;
  while (lo < hi) {
    const pivot = finite[(lo + hi) >> 1];
    let i = lo, j = hi;
    while (i <= j) {
      while (finite[i] < pivot) i++;
      while (finite[j] > pivot) j--;
      if (i <= j) {
        const t = finite[i];
        finite[i] = finite[j];
        finite[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  const threshold = finite[k];
  const below: number[] = [], at: number[] = [];
  for (let i = 0; i < v.length; i++) {
    if (v[i] < threshold) below.push(i);
    else if (v[i] === threshold) at.push(i);
  }
  return [...below, ...at.slice(0, m - below.length)].sort((a, b) => v[a] - v[b]);
}
