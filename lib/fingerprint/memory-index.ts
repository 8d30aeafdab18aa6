// The landmark index in memory, for tests and benchmarks (the database's is
// services/fingerprint/index-store.ts; both answer `lookup` the same way). Rows are (hash, song,
// anchor frame), each (hash, frame) pair once per song, as the database keys them. Storage is a
// chained hash table over typed arrays: a head per hash value (the hashes have HASH_BITS bits, so
// the table is direct), and per row its song, frame and the next row of the same hash — 12 bytes a
// row, no object per row.
import { HASH_BITS, type Fingerprint } from "./landmarks.js";
import type { HashRow } from "./match.js";

export class MemoryIndex {
  private readonly heads = new Int32Array(2 ** HASH_BITS).fill(-1);
  private next = new Int32Array(1 << 16);
  private songs = new Int32Array(1 << 16);
  private frames = new Uint32Array(1 << 16);
  private used = 0;
  private live = 0;
  private readonly bySong = new Map<number, number>();
  /** Each song's fingerprint as added (a reference, not a copy), for verification (query.ts). */
  private readonly fps = new Map<number, Fingerprint>();

  /** Index rows held. */
  get size(): number {
    return this.live;
  }

  /** Songs indexed. */
  get songCount(): number {
    return this.bySong.size;
  }

  /** Adds (or replaces) the song's landmarks; returns the rows added. */
  add(songId: number, fp: Fingerprint): number {
    if (this.bySong.has(songId)) this.remove(songId);
    const seen = new Set<number>();
    let added = 0;
    for (let i = 0; i < fp.hashes.length; i++) {
      const h = fp.hashes[i], t = fp.times[i];
      if (h >= this.heads.length) throw new RangeError(`hash ${h} has more than ${HASH_BITS} bits`);
      const key = h * 2 ** 22 + t;
      if (seen.has(key)) continue;
      seen.add(key);
      if (this.used === this.next.length) this.grow();
      const r = this.used++;
      this.songs[r] = songId;
      this.frames[r] = t;
      this.next[r] = this.heads[h];
      this.heads[h] = r;
      added++;
    }
    this.bySong.set(songId, added);
    this.fps.set(songId, fp);
    this.live += added;
    return added;
  }

  /** Takes the song's rows out (a pass over every row: meant for tests, not for hot paths). */
  remove(songId: number): void {
    const n = this.bySong.get(songId);
    if (n === undefined) return;
    this.bySong.delete(songId);
    this.fps.delete(songId);
    this.live -= n;
    const { heads, next, songs } = this;
    for (let h = 0; h < heads.length; h++) {
      let prev = -1;
      for (let r = heads[h]; r >= 0; r = next[r]) {
        if (songs[r] !== songId) {
          prev = r;
          continue;
        }
        if (prev < 0) heads[h] = next[r];
        else next[prev] = next[r];
      }
    }
  }

  /** The song's landmarks as added, or null. */
  landmarks(songId: number): Fingerprint | null {
    return this.fps.get(songId) ?? null;
  }

  /** Every row holding one of `hashes` (each distinct hash looked up once). */
  lookup(hashes: Uint32Array | readonly number[]): HashRow[] {
    const out: HashRow[] = [];
    const done = new Set<number>();
    for (let i = 0; i < hashes.length; i++) {
      const h = hashes[i];
      if (h >= this.heads.length || done.has(h)) continue;
      done.add(h);
      for (let r = this.heads[h]; r >= 0; r = this.next[r]) out.push({ hash: h, songId: this.songs[r], t: this.frames[r] });
    }
    return out;
  }

  private grow(): void {
    const n = this.next.length * 2;
    const next = new Int32Array(n), songs = new Int32Array(n), frames = new Uint32Array(n);
    next.set(this.next);
    songs.set(this.songs);
    frames.set(this.frames);
    this.next = next;
    this.songs = songs;
    this.frames = frames;
  }
}
