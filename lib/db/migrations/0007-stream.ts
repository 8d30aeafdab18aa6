// Streaming and the Subsonic API (issue 6):
//  - play_events: one row per play a client reported (Subsonic scrobble), per user;
//    user_song_stats: per user and song, the play count, last play, rating and star (favourite)
//    that clients show; user_stars: starred albums and artists (by their Subsonic id).
//  - api_keys: OpenSubsonic API keys, of which only a SHA-256 is stored;
//    users.subsonic_password: the user's Subsonic password (for token+salt authentication, which
//    needs the password itself), encrypted with the server key (lib/subsonic/crypto.ts).
//  - Expression indexes on the keys albums and artists are derived from (lib/subsonic/ids.ts), so
//    an album or artist page is an index lookup, not a scan of every song.
// Times are epoch milliseconds (BIGINT), as in pipeline_stages. Guarded so running twice is harmless.
import { DataTypes, type QueryInterface } from "sequelize";

export const name = "0007-stream";

async function tables(qi: QueryInterface): Promise<Set<string>> {
  const list = (await qi.showAllTables()) as Array<string | { tableName: string }>;
  return new Set(list.map((t) => (typeof t === "string" ? t : t.tableName)));
}

async function addIndexOnce(qi: QueryInterface, table: string, fields: string[], opts: { unique?: boolean; name: string }) {
  const existing = (await qi.showIndex(table)) as Array<{ name: string }>;
  if (existing.some((i) => i.name === opts.name)) return;
  await qi.addIndex(table, fields, opts);
}

const user = { type: DataTypes.INTEGER, allowNull: false, references: { model: "users", key: "id" }, onDelete: "CASCADE" };
const song = { type: DataTypes.INTEGER, allowNull: false, references: { model: "songs", key: "id" }, onDelete: "CASCADE" };

export async function up(qi: QueryInterface): Promise<void> {
  const have = await tables(qi);
  if (!have.has("play_events")) {
    await qi.createTable("play_events", {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      user_id: user,
      song_id: song,
      played_at: { type: DataTypes.BIGINT, allowNull: false },
      client: { type: DataTypes.STRING(128), allowNull: true },
    });
  }
  await addIndexOnce(qi, "play_events", ["user_id", "played_at"], { name: "play_events_user_played" });
  await addIndexOnce(qi, "play_events", ["song_id"], { name: "play_events_song" });

  if (!have.has("user_song_stats")) {
    await qi.createTable("user_song_stats", {
      user_id: { ...user, primaryKey: true },
      song_id: { ...song, primaryKey: true },
      play_count: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      last_played_at: { type: DataTypes.BIGINT, allowNull: true },
      rating: { type: DataTypes.INTEGER, allowNull: true },
      starred_at: { type: DataTypes.BIGINT, allowNull: true },
      updated_at: { type: DataTypes.BIGINT, allowNull: false },
    });
  }
  await addIndexOnce(qi, "user_song_stats", ["song_id"], { name: "user_song_stats_song" });

  if (!have.has("user_stars")) {
    await qi.createTable("user_stars", {
      user_id: { ...user, primaryKey: true },
      kind: { type: DataTypes.STRING(8), allowNull: false, primaryKey: true },
      item_id: { type: DataTypes.STRING(2048), allowNull: false, primaryKey: true },
      starred_at: { type: DataTypes.BIGINT, allowNull: false },
    });
  }

  if (!have.has("api_keys")) {
    await qi.createTable("api_keys", {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      user_id: user,
      name: { type: DataTypes.STRING(64), allowNull: false },
      key_hash: { type: DataTypes.STRING(64), allowNull: false },
      created_at: { type: DataTypes.BIGINT, allowNull: false },
      last_used_at: { type: DataTypes.BIGINT, allowNull: true },
    });
  }
  await addIndexOnce(qi, "api_keys", ["key_hash"], { unique: true, name: "api_keys_key_hash" });
  await addIndexOnce(qi, "api_keys", ["user_id"], { name: "api_keys_user" });

  const users = await qi.describeTable("users");
  if (!users.subsonic_password) await qi.addColumn("users", "subsonic_password", { type: DataTypes.TEXT, allowNull: true });

  // The same expressions as ARTIST_KEY and ALBUM_KEY in lib/subsonic/ids.ts (a query must spell
  // an expression exactly as its index does for the index to be used).
  await qi.sequelize.query("CREATE INDEX IF NOT EXISTS songs_album_artist_key ON songs (lower(trim(coalesce(album_artist, artist, ''))))");
  await qi.sequelize.query("CREATE INDEX IF NOT EXISTS songs_album_key ON songs (lower(trim(coalesce(album, ''))))");
}
