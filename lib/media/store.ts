// Where audio and artwork live on the node that keeps the data. A song's `media_path` names its
// file with a prefix saying which root it is under:
//   library:<path inside LIBRARY_DIR>   files of the user's library folder, used in place
//   media:<shard>/<song id>.<ext>       audio Tonearm fetched (URL, yt-dlp, upload), by internal id
// and `artwork_path` likewise with art:<shard>/<song id>.<ext> under DATA_DIR/artwork.
// Files enter the store only complete: they are written elsewhere and renamed into place.
import fs from "node:fs";
import path from "node:path";
import type { Config } from "../config.js";

export const LIBRARY_PREFIX = "library:";
export const MEDIA_PREFIX = "media:";
export const ART_PREFIX = "art:";

/** Song ids grouped by the thousand, so no folder grows past a thousand files. */
export function shard(songId: number): string {
  return String(Math.floor(songId / 1000)).padStart(4, "0");
}

export function mediaRoot(cfg: Pick<Config, "dataDir">): string {
  return path.join(cfg.dataDir, "media");
}

export function artworkRoot(cfg: Pick<Config, "dataDir">): string {
  return path.join(cfg.dataDir, "artwork");
}

/** Where files are assembled before they are renamed into the store (same file system). */
export function stagingDir(cfg: Pick<Config, "dataDir">): string {
  return path.join(cfg.dataDir, "media", ".incoming");
}

export function mediaPathFor(songId: number, ext: string): string {
  return `${MEDIA_PREFIX}${shard(songId)}/${songId}.${ext.replace(/^\./, "").toLowerCase()}`;
}

export function artworkPathFor(songId: number, ext: string): string {
  return `${ART_PREFIX}${shard(songId)}/${songId}.${ext}`;
}

function inside(root: string, rel: string): string {
  const abs = path.resolve(root, rel);
  if (abs !== root && !abs.startsWith(root + path.sep)) throw new Error(`"${rel}" points outside ${root}`);
  return abs;
}

/** The absolute file behind a stored reference (library:, media: or art:). */
export function resolveStored(cfg: Pick<Config, "dataDir" | "libraryDir">, ref: string): string {
  if (ref.startsWith(LIBRARY_PREFIX)) return inside(path.resolve(cfg.libraryDir), ref.slice(LIBRARY_PREFIX.length));
  if (ref.startsWith(MEDIA_PREFIX)) return inside(path.resolve(mediaRoot(cfg)), ref.slice(MEDIA_PREFIX.length));
  if (ref.startsWith(ART_PREFIX)) return inside(path.resolve(artworkRoot(cfg)), ref.slice(ART_PREFIX.length));
  throw new Error(`Unknown media reference "${ref}"`);
}

/** Moves a finished file into the store under `ref` (replacing what was there). */
export async function putFile(cfg: Pick<Config, "dataDir" | "libraryDir">, from: string, ref: string): Promise<string> {
  const to = resolveStored(cfg, ref);
  await fs.promises.mkdir(path.dirname(to), { recursive: true });
  await fs.promises.rename(from, to);
  return to;
}

/** Writes bytes into the store under `ref` atomically (temp file + rename). */
export async function putBytes(cfg: Pick<Config, "dataDir" | "libraryDir">, bytes: Uint8Array, ref: string): Promise<string> {
  const to = resolveStored(cfg, ref);
  await fs.promises.mkdir(path.dirname(to), { recursive: true });
  const tmp = `${to}.tmp-${process.pid}-${Date.now()}`;
  await fs.promises.writeFile(tmp, bytes);
  await fs.promises.rename(tmp, to);
  return to;
}

/** Removes staging leftovers of a process that died mid-download (older than an hour). */
export async function sweepStaging(cfg: Pick<Config, "dataDir">, olderThanMs = 3_600_000): Promise<number> {
  const dir = stagingDir(cfg);
  let removed = 0;
  for (const name of await fs.promises.readdir(dir).catch(() => [] as string[])) {
    const file = path.join(dir, name);
    const st = await fs.promises.stat(file).catch(() => null);
    if (st?.isFile() && Date.now() - st.mtimeMs > olderThanMs) {
      await fs.promises.rm(file, { force: true });
      removed++;
    }
  }
  return removed;
}
