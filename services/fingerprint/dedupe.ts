// Merging two songs that the fingerprint says are one recording, and undoing it (issue 4).
//
// A merge keeps the older song (the lower id: the one users have seen longest) and hides the
// other: `songs.merged_into` points at the song kept, its sources, playlist entries and
// listeners' plays, ratings and stars move there, and if its file is the better one (lib/media/quality.ts) the two songs swap files, so
// the song kept plays the better file and the hidden one holds the other. Nothing is deleted:
// the hidden song's row, file and metadata stay, and `song_merges.moved` records exactly what
// moved, so an admin can undo the merge — sources and entries go back, files swap back, the
// song reappears, and the pair is marked "distinct" so the dedupe never merges it again.
// Each of merge and undo is one write transaction.
import { QueryTypes, type Transaction } from "sequelize";
import type { Database } from "../../lib/db/connection.js";
import { isBetter } from "../../lib/media/quality.js";

/** The columns that describe a song's file: swapped together when the better file moves. */
const MEDIA_COLUMNS = ["media_path", "media_hash", "media_size", "media_mtime_ms", "media_format", "media_codec",
  "media_sample_rate", "media_channels", "media_bit_rate", "media_error", "cache_state", "duration_ms"] as const;
/** Tags the song kept takes from the merged song when it has none of its own. */
const FILL_COLUMNS = ["artist", "album", "album_artist", "year", "genre", "track_no", "disc_no", "isrc", "artwork_path"] as const;

export interface MergeEvidence {
  confidence: number;
  coverageSong: number | null;
  coverageMerged: number | null;
  offsetSec: number | null;
  decidedBy: "fingerprint" | "admin";
}

export interface Moved {
  sources: number[];
  entries: Array<{ playlistId: number; position: number }>;
  filled: Record<string, unknown>;
  /** play_events ids moved to the song kept. */
  plays?: number[];
  /** Listeners' per-song stats: moved whole (the kept song had none for that user), or added to
   * the kept song's row whose earlier values are kept here (the hidden song keeps its own row). */
  stats?: Array<{ userId: number; moved: true } | { userId: number; moved: false; before: Record<string, unknown> }>;
}

export interface MergeResult {
  mergeId: number;
  songId: number;
  mergedSongId: number;
  mediaSwapped: boolean;
}

type Row = Record<string, any>;

async function q<T extends object = Row>(db: Database, sql: string, replacements: unknown[], t: Transaction): Promise<T[]> {
  return db.sequelize.query<T>(sql, { replacements, transaction: t, type: QueryTypes.SELECT });
}
async function exec(db: Database, sql: string, replacements: unknown[], t: Transaction): Promise<number> {
  const n = await db.sequelize.query(sql, { replacements, transaction: t, type: QueryTypes.BULKUPDATE });
  return Number(n ?? 0);
}

function swapMedia(db: Database, a: Row, b: Row, t: Transaction) {
  const set = MEDIA_COLUMNS.map((c) => `"${c}" = ?`).join(", ");
  return Promise.all([
    exec(db, `UPDATE songs SET ${set} WHERE id = ?`, [...MEDIA_COLUMNS.map((c) => b[c] ?? null), a.id], t),
    exec(db, `UPDATE songs SET ${set} WHERE id = ?`, [...MEDIA_COLUMNS.map((c) => a[c] ?? null), b.id], t),
  ]);
}

/** Whether an admin said these two are different songs. */
export async function markedDistinct(db: Database, a: number, b: number): Promise<boolean> {
  const [x, y] = a < b ? [a, b] : [b, a];
  const rows = await db.select(`SELECT 1 AS one FROM song_relations WHERE song_a = ? AND song_b = ? AND kind = 'distinct'`, [x, y]);
  return rows.length > 0;
}

/**
 * Merges songs `a` and `b` (either order): the lower id stays. Returns null when either is gone,
 * already merged, or the pair is marked distinct — nothing changes then.
 */
export async function mergeSongs(db: Database, a: number, b: number, ev: MergeEvidence): Promise<MergeResult | null> {
  const [keepId, goneId] = a < b ? [a, b] : [b, a];
  return db.writeTransaction(async (t) => {
    const rows = await q(db, `SELECT * FROM songs WHERE id IN (?, ?)`, [keepId, goneId], t);
    const keep = rows.find((r) => Number(r.id) === keepId), gone = rows.find((r) => Number(r.id) === goneId);
    if (!keep || !gone || keep.merged_into != null || gone.merged_into != null) return null;
    const distinct = await q(db, `SELECT 1 AS one FROM song_relations WHERE song_a = ? AND song_b = ? AND kind = 'distinct'`, [keepId, goneId], t);
    if (distinct.length) return null;

    const moved: Moved = { sources: [], entries: [], filled: {} };
    moved.sources = (await q<{ id: number }>(db, `SELECT id FROM song_sources WHERE song_id = ?`, [goneId], t)).map((r) => Number(r.id));
    moved.entries = (await q<{ playlist_id: number; position: number }>(db,
      `SELECT playlist_id, position FROM playlist_songs WHERE song_id = ?`, [goneId], t))
      .map((r) => ({ playlistId: Number(r.playlist_id), position: Number(r.position) }));
    await exec(db, `UPDATE song_sources SET song_id = ? WHERE song_id = ?`, [keepId, goneId], t);
    await exec(db, `UPDATE playlist_songs SET song_id = ? WHERE song_id = ?`, [keepId, goneId], t);
    // Listeners' data survives: plays move; per-user stats move, or add up where both songs had some.
    moved.plays = (await q<{ id: number }>(db, `SELECT id FROM play_events WHERE song_id = ?`, [goneId], t)).map((r) => Number(r.id));
    await exec(db, `UPDATE play_events SET song_id = ? WHERE song_id = ?`, [keepId, goneId], t);
    moved.stats = [];
    for (const g of await q(db, `SELECT * FROM user_song_stats WHERE song_id = ?`, [goneId], t)) {
      const [k] = await q(db, `SELECT * FROM user_song_stats WHERE song_id = ? AND user_id = ?`, [keepId, g.user_id], t);
      if (!k) {
        await exec(db, `UPDATE user_song_stats SET song_id = ? WHERE song_id = ? AND user_id = ?`, [keepId, goneId, g.user_id], t);
        moved.stats.push({ userId: Number(g.user_id), moved: true });
        continue;
      }
      const later = (a: unknown, b: unknown) => (a == null ? b : b == null ? a : Number(a) >= Number(b) ? a : b);
      await exec(db, `UPDATE user_song_stats SET play_count = ?, last_played_at = ?, rating = ?, starred_at = ?, updated_at = ? WHERE song_id = ? AND user_id = ?`,
        [Number(k.play_count) + Number(g.play_count), later(k.last_played_at, g.last_played_at), k.rating ?? g.rating, k.starred_at ?? g.starred_at,
          Date.now(), keepId, g.user_id], t);
      moved.stats.push({ userId: Number(g.user_id), moved: false,
        before: { play_count: k.play_count, last_played_at: k.last_played_at, rating: k.rating, starred_at: k.starred_at } });
    }

    for (const c of FILL_COLUMNS) {
      if ((keep[c] === null || keep[c] === undefined || keep[c] === "") && gone[c] != null && gone[c] !== "") moved.filled[c] = gone[c];
    }
    const filled = Object.keys(moved.filled);
    if (filled.length) {
      await exec(db, `UPDATE songs SET ${filled.map((c) => `"${c}" = ?`).join(", ")} WHERE id = ?`, [...filled.map((c) => moved.filled[c]), keepId], t);
    }

    const fact = (r: Row) => ({ codec: r.media_codec, bitRate: r.media_bit_rate, sampleRate: r.media_sample_rate, channels: r.media_channels });
    const swap = gone.media_path != null && gone.cache_state !== "missing" && gone.cache_state !== "remote"
      && (keep.media_path == null || keep.cache_state === "missing" || keep.cache_state === "remote" || isBetter(fact(gone), fact(keep)));
    if (swap) await swapMedia(db, keep, gone, t);

    await exec(db, `UPDATE songs SET merged_into = ? WHERE id = ?`, [keepId, goneId], t);
    // Whatever linked the two (a "version" guessed from tags) is superseded by the merge.
    await exec(db, `DELETE FROM song_relations WHERE song_a = ? AND song_b = ? AND kind <> 'distinct'`, [keepId, goneId], t);
    // The hidden song leaves the pipeline: a run in flight for it finds its row gone and stops.
    await exec(db, `DELETE FROM pipeline_stages WHERE song_id = ?`, [goneId], t);
    // A merge that hid the song kept now is moot: nothing may point at a hidden song.
    await exec(db, `UPDATE songs SET merged_into = ? WHERE merged_into = ?`, [keepId, goneId], t);

    const now = Date.now();
    await exec(db,
      `INSERT INTO song_merges (song_id, merged_song_id, confidence, coverage_song, coverage_merged, offset_sec, decided_by,
         media_swapped, moved, state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'merged', ?)`,
      [keepId, goneId, ev.confidence, ev.coverageSong, ev.coverageMerged, ev.offsetSec, ev.decidedBy, swap, JSON.stringify(moved), now], t);
    const [m] = await q<{ id: number }>(db, `SELECT id FROM song_merges WHERE merged_song_id = ? AND created_at = ? ORDER BY id DESC`, [goneId, now], t);
    return { mergeId: Number(m.id), songId: keepId, mergedSongId: goneId, mediaSwapped: swap };
  });
}

export class UndoError extends Error {
  constructor(message: string, readonly code: 404 | 409) {
    super(message);
  }
}

/** Undoes merge `mergeId`; the two songs are then marked distinct. */
export async function undoMerge(db: Database, mergeId: number, userId: number | null): Promise<MergeResult> {
  return db.writeTransaction(async (t) => {
    const [m] = await q(db, `SELECT * FROM song_merges WHERE id = ?`, [mergeId], t);
    if (!m) throw new UndoError(`Merge ${mergeId} not found`, 404);
    if (m.state !== "merged") throw new UndoError(`Merge ${mergeId} was already undone`, 409);
    const keepId = Number(m.song_id), goneId = Number(m.merged_song_id);
    const rows = await q(db, `SELECT * FROM songs WHERE id IN (?, ?)`, [keepId, goneId], t);
    const keep = rows.find((r) => Number(r.id) === keepId), gone = rows.find((r) => Number(r.id) === goneId);
    if (!keep || !gone) throw new UndoError(`A song of merge ${mergeId} no longer exists`, 409);
    if (Number(gone.merged_into) !== keepId) throw new UndoError(`Song ${goneId} is no longer merged into song ${keepId}`, 409);
    const moved: Moved = typeof m.moved === "string" ? JSON.parse(m.moved) : m.moved;

    if (moved.sources.length) {
      await exec(db, `UPDATE song_sources SET song_id = ? WHERE song_id = ? AND id IN (${moved.sources.map((id) => Number(id)).join(",")})`, [goneId, keepId], t);
    }
    for (const e of moved.entries) {
      await exec(db, `UPDATE playlist_songs SET song_id = ? WHERE playlist_id = ? AND position = ? AND song_id = ?`, [goneId, e.playlistId, e.position, keepId], t);
    }
    if (moved.plays?.length) {
      await exec(db, `UPDATE play_events SET song_id = ? WHERE song_id = ? AND id IN (${moved.plays.map((id) => Number(id)).join(",")})`, [goneId, keepId], t);
    }
    for (const st of moved.stats ?? []) {
      if (st.moved) {
        await exec(db, `UPDATE user_song_stats SET song_id = ? WHERE song_id = ? AND user_id = ?`, [goneId, keepId, st.userId], t);
        continue;
      }
      // The hidden song's own row was left in place: take its plays back out of the kept song's count.
      const [g] = await q(db, `SELECT play_count FROM user_song_stats WHERE song_id = ? AND user_id = ?`, [goneId, st.userId], t);
      await exec(db, `UPDATE user_song_stats SET play_count = CASE WHEN play_count > ? THEN play_count - ? ELSE 0 END,
                        last_played_at = ?, rating = ?, starred_at = ?, updated_at = ? WHERE song_id = ? AND user_id = ?`,
        [Number(g?.play_count ?? 0), Number(g?.play_count ?? 0), st.before.last_played_at ?? null, st.before.rating ?? null, st.before.starred_at ?? null, Date.now(), keepId, st.userId], t);
    }
    for (const [c, v] of Object.entries(moved.filled)) {
      // Only what the merge filled in and nobody changed since.
      await exec(db, `UPDATE songs SET "${c.replace(/[^a-z_]/g, "")}" = NULL WHERE id = ? AND "${c.replace(/[^a-z_]/g, "")}" = ?`, [keepId, v], t);
    }
    if (m.media_swapped === true || m.media_swapped === 1) await swapMedia(db, keep, gone, t);
    await exec(db, `UPDATE songs SET merged_into = NULL WHERE id = ?`, [goneId], t);
    const now = Date.now();
    await exec(db, `UPDATE song_merges SET state = 'undone', undone_at = ?, undone_by = ? WHERE id = ?`, [now, userId, mergeId], t);
    await relate(db, keepId, goneId, { kind: "distinct", confidence: 1, decidedBy: "admin" }, t);
    return { mergeId, songId: keepId, mergedSongId: goneId, mediaSwapped: !!m.media_swapped };
  });
}

export interface Relation {
  kind: "partial" | "version" | "distinct";
  confidence: number;
  coverageA?: number | null;
  coverageB?: number | null;
  offsetSec?: number | null;
  decidedBy: string;
}

/** Links two songs (one row per pair; a "distinct" verdict is never overwritten by the dedupe). */
export async function relate(db: Database, a: number, b: number, r: Relation, transaction?: Transaction): Promise<void> {
  const run = async (t: Transaction) => {
    const [x, y] = a < b ? [a, b] : [b, a];
    // Coverage is given for (a, b); stored for (song_a, song_b).
    const [ca, cb] = a < b ? [r.coverageA ?? null, r.coverageB ?? null] : [r.coverageB ?? null, r.coverageA ?? null];
    const [old] = await q(db, `SELECT id, kind FROM song_relations WHERE song_a = ? AND song_b = ?`, [x, y], t);
    if (old && old.kind === "distinct" && r.kind !== "distinct") return;
    if (old) {
      await exec(db, `UPDATE song_relations SET kind = ?, confidence = ?, coverage_a = ?, coverage_b = ?, offset_sec = ?, decided_by = ?, created_at = ? WHERE id = ?`,
        [r.kind, r.confidence, ca, cb, r.offsetSec ?? null, r.decidedBy, Date.now(), old.id], t);
    } else {
      await exec(db, `INSERT INTO song_relations (song_a, song_b, kind, confidence, coverage_a, coverage_b, offset_sec, decided_by, created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, [x, y, r.kind, r.confidence, ca, cb, r.offsetSec ?? null, r.decidedBy, Date.now()], t);
    }
  };
  if (transaction) return run(transaction);
  await db.writeTransaction(run);
}
