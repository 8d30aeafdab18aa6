// Acoustic fingerprints and what they decide (issue 4, lib/fingerprint/).
// - `fingerprints`: the landmark index, one row per (hash, song, anchor frame). Looked up by hash
//   only, so on SQLite it is a WITHOUT ROWID table keyed (hash, song_id, t): the rows are the
//   index, stored once (about 13 bytes a row). Removing a song's rows goes through the hashes
//   kept in `fingerprint_songs`, so no second index by song is needed there.
// - `fingerprint_songs`: per song, the algorithm version, hash count, length, and the song's own
//   landmarks as two packed arrays (for dedupe comparisons and for deleting its index rows), plus an
//   optional Chromaprint fingerprint from fpcalc.
// - `song_merges`: every merge the dedupe made (or an admin), with its confidence and what moved,
//   so that it can be undone. A merged song stays as a row with `songs.merged_into` set (hidden
//   from listings); its file stays on disk until the merge is undone or purged.
// - `song_relations`: related songs that are not the same recording (an edit sharing part of the
//   audio, another version with the same title), and "distinct" pairs an admin split (never
//   merged again).
import { DataTypes, type QueryInterface } from "sequelize";

export const name = "0005-fingerprints";

export async function up(qi: QueryInterface): Promise<void> {
  const tables = (await qi.showAllTables()).map((t) => (typeof t === "string" ? t : (t as { tableName: string }).tableName));
  const sqlite = qi.sequelize.getDialect() === "sqlite";
  if (!tables.includes("fingerprints")) {
    if (sqlite) {
      await qi.sequelize.query(
        `CREATE TABLE fingerprints (hash INTEGER NOT NULL, song_id INTEGER NOT NULL, t INTEGER NOT NULL,
           PRIMARY KEY (hash, song_id, t)) WITHOUT ROWID`,
      );
    } else {
      await qi.createTable("fingerprints", {
        hash: { type: DataTypes.INTEGER, allowNull: false },
        song_id: { type: DataTypes.INTEGER, allowNull: false },
        t: { type: DataTypes.INTEGER, allowNull: false },
      });
      await qi.addIndex("fingerprints", ["hash"], { name: "fingerprints_hash" });
      await qi.addIndex("fingerprints", ["song_id"], { name: "fingerprints_song" });
    }
  }
  if (!tables.includes("fingerprint_songs")) {
    await qi.createTable("fingerprint_songs", {
      song_id: { type: DataTypes.INTEGER, primaryKey: true, references: { model: "songs", key: "id" }, onDelete: "CASCADE" },
      version: { type: DataTypes.INTEGER, allowNull: false },
      hash_count: { type: DataTypes.INTEGER, allowNull: false },
      frames: { type: DataTypes.INTEGER, allowNull: false },
      duration_sec: { type: DataTypes.FLOAT, allowNull: false },
      // Little-endian Uint32 arrays, base64: the song's hashes and their anchor frames.
      hashes: { type: DataTypes.TEXT, allowNull: false },
      times: { type: DataTypes.TEXT, allowNull: false },
      chromaprint: { type: DataTypes.TEXT, allowNull: true },
      chromaprint_duration: { type: DataTypes.FLOAT, allowNull: true },
      computed_at: { type: DataTypes.BIGINT, allowNull: false },
    });
  }
  if (!tables.includes("song_merges")) {
    await qi.createTable("song_merges", {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      // The song that stays (its id is the one everybody keeps using).
      song_id: { type: DataTypes.INTEGER, allowNull: false, references: { model: "songs", key: "id" }, onDelete: "CASCADE" },
      merged_song_id: { type: DataTypes.INTEGER, allowNull: false, references: { model: "songs", key: "id" }, onDelete: "CASCADE" },
      confidence: { type: DataTypes.FLOAT, allowNull: false },
      // Share of each song's length covered by time-aligned matches.
      coverage_song: { type: DataTypes.FLOAT, allowNull: true },
      coverage_merged: { type: DataTypes.FLOAT, allowNull: true },
      offset_sec: { type: DataTypes.FLOAT, allowNull: true },
      // fingerprint | admin
      decided_by: { type: DataTypes.STRING(32), allowNull: false },
      // The kept song took the merged song's file (it was the better one).
      media_swapped: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      // What moved: source ids, playlist entries, so undo puts back exactly those.
      moved: { type: DataTypes.JSON, allowNull: false },
      state: { type: DataTypes.STRING(16), allowNull: false, defaultValue: "merged" },
      created_at: { type: DataTypes.BIGINT, allowNull: false },
      undone_at: { type: DataTypes.BIGINT, allowNull: true },
      undone_by: { type: DataTypes.INTEGER, allowNull: true },
    });
    await qi.addIndex("song_merges", ["song_id"], { name: "song_merges_song" });
    await qi.addIndex("song_merges", ["merged_song_id"], { name: "song_merges_merged" });
  }
  if (!tables.includes("song_relations")) {
    await qi.createTable("song_relations", {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      // song_a < song_b: one row per pair.
      song_a: { type: DataTypes.INTEGER, allowNull: false, references: { model: "songs", key: "id" }, onDelete: "CASCADE" },
      song_b: { type: DataTypes.INTEGER, allowNull: false, references: { model: "songs", key: "id" }, onDelete: "CASCADE" },
      // partial (shares part of the audio: an edit, an extended mix) | version (same title and
      // artist, different recording: live, remix) | distinct (an admin said: not the same song)
      kind: { type: DataTypes.STRING(16), allowNull: false },
      confidence: { type: DataTypes.FLOAT, allowNull: false },
      coverage_a: { type: DataTypes.FLOAT, allowNull: true },
      coverage_b: { type: DataTypes.FLOAT, allowNull: true },
      offset_sec: { type: DataTypes.FLOAT, allowNull: true },
      decided_by: { type: DataTypes.STRING(32), allowNull: false },
      created_at: { type: DataTypes.BIGINT, allowNull: false },
    });
    await qi.addIndex("song_relations", ["song_a", "song_b"], { unique: true, name: "song_relations_pair" });
    await qi.addIndex("song_relations", ["song_b"], { name: "song_relations_b" });
  }
  const columns = await qi.describeTable("songs");
  if (!columns.merged_into) {
    await qi.addColumn("songs", "merged_into", { type: DataTypes.INTEGER, allowNull: true });
    await qi.addIndex("songs", ["merged_into"], { name: "songs_merged_into" });
  }
}
