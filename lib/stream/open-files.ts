// Open-file cache for serving files: the descriptor and stat of a recently served file are kept for
// a short while and shared by the requests for it, as nginx's open_file_cache does. A player asks
// for a song in many ranges (seeks, piecewise fetching, several listeners of one song); without
// the cache every one of them costs an open, an fstat and a close on top of its read, each a trip
// through libuv's thread pool and, measured in bench/stream (256 KiB ranges at 100 connections),
// together more of the gateway's time than the reads.
//
// Correctness:
//  - An entry is used for at most `validMs` after its open. A file replaced or deleted in that
//    window is still served as it was when opened — consistently: the descriptor, its stat, the
//    ETag and the bytes all describe the same inode, as with a single open. After the window, the
//    path is opened again.
//  - A descriptor is closed only when no response is using it: entries are reference-counted, and
//    one dropped from the cache (expired, evicted, cleared) closes when its last user releases it.
//  - Failed opens are not cached (a file that appears is found on the next request).
//  - At most `maxEntries` idle descriptors are kept (least recently used go first); descriptors in
//    use are never limited here (each belongs to a response).
import fs from "node:fs";

export interface OpenFile {
  readonly fd: number;
  readonly stat: fs.Stats;
  /** A value derived from the stat, kept with the entry (e.g. the ETag), computed once. */
  memo<T>(key: string, make: () => T): T;
}

interface Entry extends OpenFile {
  path: string;
  openedAt: number;
  refs: number;
  /** Dropped from the map: close when refs reaches 0. */
  dropped: boolean;
  memos: Map<string, unknown>;
}

export interface OpenFilesOptions {
  /** How long an opened file is reused, in ms (default 2000; 0: never, each acquire opens and each release closes). */
  validMs?: number;
  /** Idle descriptors kept at most (default 200). */
  maxEntries?: number;
}

const fdOpen = (file: string) => new Promise<number>((resolve, reject) => fs.open(file, "r", (e, fd) => (e ? reject(e) : resolve(fd))));
const fdStat = (fd: number) => new Promise<fs.Stats>((resolve, reject) => fs.fstat(fd, (e, st) => (e ? reject(e) : resolve(st))));

export class OpenFiles {
  private readonly validMs: number;
  private readonly maxEntries: number;
  /** By path, in least-recently-used order (a Map keeps insertion order; a hit re-inserts). */
  private readonly entries = new Map<string, Entry>();
  /** Opens under way, so simultaneous first requests for one path share one open. */
  private readonly opening = new Map<string, Promise<Entry>>();
  private readonly sweeper: NodeJS.Timeout;
  private closed = false;

  constructor(opts: OpenFilesOptions = {}) {
    this.validMs = opts.validMs ?? 2000;
    this.maxEntries = opts.maxEntries ?? 200;
    this.sweeper = setInterval(() => this.sweep(), Math.max(250, this.validMs)).unref();
    if (this.validMs <= 0) clearInterval(this.sweeper);
  }

  /** The open file at `path` (opened now or shared), to be given back with release(). Rejects as fs.open does, or EISDIR for a non-file. */
  async acquire(path: string): Promise<OpenFile> {
    const now = Date.now();
    const hit = this.entries.get(path);
    if (hit) {
      if (now - hit.openedAt < this.validMs) {
        hit.refs++;
        this.entries.delete(path);
        this.entries.set(path, hit);
        return hit;
      }
      this.drop(hit);
    }
    let pending = this.opening.get(path);
    if (!pending) {
      pending = this.open(path);
      this.opening.set(path, pending);
      const clear = () => this.opening.delete(path);
      pending.then(clear, clear);
    }
    const entry = await pending;
    entry.refs++;
    return entry;
  }

  /** Gives back what acquire() returned; the descriptor is closed once unused and out of the cache. */
  release(file: OpenFile): void {
    const e = file as Entry;
    if (e.refs <= 0) throw new Error(`OpenFiles.release: ${e.path} released more often than acquired`);
    e.refs--;
    if (e.refs === 0) {
      if (e.dropped) fs.close(e.fd, () => {});
      else this.trim();
    }
  }

  /** Forgets `path` (a file known to be gone or changed): the next acquire opens it again. */
  forget(path: string): void {
    const e = this.entries.get(path);
    if (e) this.drop(e);
  }

  /** Drops every entry; descriptors in use close when released. The cache takes no more entries after this. */
  close(): void {
    this.closed = true;
    clearInterval(this.sweeper);
    for (const e of [...this.entries.values()]) this.drop(e);
  }

  /** Entries held (in use or idle), for tests and metrics. */
  get size(): number {
    return this.entries.size;
  }

  private async open(path: string): Promise<Entry> {
    const fd = await fdOpen(path);
    let stat: fs.Stats;
    try {
      stat = await fdStat(fd);
      if (!stat.isFile()) throw Object.assign(new Error(`EISDIR: not a regular file, ${path}`), { code: "EISDIR" });
    } catch (err) {
      fs.close(fd, () => {});
      throw err;
    }
    const memos = new Map<string, unknown>();
    const entry: Entry = {
      path, fd, stat, openedAt: Date.now(), refs: 0, dropped: false, memos,
      memo<T>(key: string, make: () => T): T {
        if (!memos.has(key)) memos.set(key, make());
        return memos.get(key) as T;
      },
    };
    if (this.closed || this.validMs <= 0) entry.dropped = true;
    else {
      const old = this.entries.get(path);
      if (old) this.drop(old);
      this.entries.set(path, entry);
      this.trim();
    }
    return entry;
  }

  private drop(e: Entry): void {
    if (e.dropped) return;
    e.dropped = true;
    if (this.entries.get(e.path) === e) this.entries.delete(e.path);
    if (e.refs === 0) fs.close(e.fd, () => {});
  }

  /** Closes the least recently used idle entries beyond maxEntries. */
  private trim(): void {
    if (this.entries.size <= this.maxEntries) return;
    let idle = 0;
    for (const e of this.entries.values()) if (e.refs === 0) idle++;
    if (idle <= this.maxEntries) return;
    for (const e of this.entries.values()) {
      if (idle <= this.maxEntries) break;
      if (e.refs === 0) {
        this.drop(e);
        idle--;
      }
    }
  }

  /** Closes idle entries past their validity, so an idle server holds no descriptors. */
  private sweep(): void {
    const now = Date.now();
    for (const e of [...this.entries.values()]) if (now - e.openedAt >= this.validMs && e.refs === 0) this.drop(e);
  }
}
