// Generated benchmark sets are cached in bench/.cache with a manifest; these read it back.
import fs from "node:fs";

/** The manifest at `file` when it was written by generator `version`, else null (missing, unreadable, older). */
export function readManifest<T extends { version: number }>(file: string, version: number): T | null {
  try {
    const m = JSON.parse(fs.readFileSync(file, "utf8")) as T;
    return m.version === version ? m : null;
  } catch {
    return null;
  }
}

/** A file's size, or null when it is not there. */
export function sizeOf(file: string): number | null {
  try {
    return fs.statSync(file).size;
  } catch {
    return null;
  }
}
