// The index bench/fingerprint fills and queries, behind one small async interface, so that another
// store (the SQL-backed one) can be measured by the same run with `--index <name>`.
import type { Fingerprint } from "../../lib/fingerprint/landmarks.js";
import type { HashRow } from "../../lib/fingerprint/match.js";
import { MemoryIndex } from "../../lib/fingerprint/memory-index.js";

export interface BenchIndex {
  readonly name: string;
  add(songId: number, fp: Fingerprint): Promise<void> | void;
  lookup(hashes: Uint32Array): Promise<HashRow[]> | HashRow[];
  /** Rows held. */
  rows(): Promise<number> | number;
  /** Bytes on disk, when the store can tell (null: in memory, or unknown). */
  bytes(): Promise<number | null> | number | null;
  close(): Promise<void> | void;
}

/** lib/fingerprint/memory-index.ts. */
export function memoryIndex(): BenchIndex {
  const index = new MemoryIndex();
  return {
    name: "memory",
    add: (songId, fp) => void index.add(songId, fp),
    lookup: (hashes) => index.lookup(hashes),
    rows: () => index.size,
    bytes: () => null,
    close: () => {},
  };
}

/** The backends `--index` can name. */
export const BACKENDS: Record<string, () => Promise<BenchIndex> | BenchIndex> = {
  memory: memoryIndex,
};
