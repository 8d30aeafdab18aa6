// Core tables of DESIGN §3 needed by the platform: accounts, sessions, settings, songs,
// their sources, playlists. createTable/addIndex are guarded so running twice is harmless.
import { DataTypes, type QueryInterface } from "sequelize";

const now = { type: DataTypes.DATE, allowNull: false };

async function addIndexOnce(qi: QueryInterface, table: string, fields: string[], opts: { unique?: boolean; name: string }) {
  const existing = (await qi.showIndex(table)) as Array<{ name: string }>;
  if (existing.some((i) => i.name === opts.name)) return;
  await qi.addIndex(table, fields, opts);
}

export const name = "0001-core";

export async function up(qi: QueryInterface): Promise<void> {
  await qi.createTable("users", {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    username: { type: DataTypes.STRING(64), allowNull: false, unique: true },
    display_name: { type: DataTypes.STRING(128), allowNull: true },
    email: { type: DataTypes.STRING(255), allowNull: true },
    password_hash: { type: DataTypes.STRING(255), allowNull: false },
    role: { type: DataTypes.STRING(16), allowNull: false, defaultValue: "user" },
    created_at: now,
    updated_at: now,
  });

  await qi.createTable("sessions", {
    id: { type: DataTypes.STRING(36), primaryKey: true },
    user_id: {
      type: DataTypes.INTEGER, allowNull: false,
      references: { model: "users", key: "id" }, onDelete: "CASCADE",
    },
    refresh_hash: { type: DataTypes.STRING(64), allowNull: false },
    previous_hash: { type: DataTypes.STRING(64), allowNull: true },
    expires_at: { type: DataTypes.DATE, allowNull: false },
    revoked_at: { type: DataTypes.DATE, allowNull: true },
    revoked_reason: { type: DataTypes.STRING(64), allowNull: true },
    user_agent: { type: DataTypes.STRING(255), allowNull: true },
    ip: { type: DataTypes.STRING(64), allowNull: true },
    last_used_at: now,
    created_at: now,
    updated_at: now,
  });
  await addIndexOnce(qi, "sessions", ["user_id"], { name: "sessions_user_id" });

  await qi.createTable("settings", {
    key: { type: DataTypes.STRING(64), primaryKey: true },
    value: { type: DataTypes.TEXT, allowNull: false },
    created_at: now,
    updated_at: now,
  });

  await qi.createTable("songs", {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    title: { type: DataTypes.STRING(512), allowNull: false },
    artist: { type: DataTypes.STRING(512), allowNull: true },
    album: { type: DataTypes.STRING(512), allowNull: true },
    album_artist: { type: DataTypes.STRING(512), allowNull: true },
    track_no: { type: DataTypes.INTEGER, allowNull: true },
    disc_no: { type: DataTypes.INTEGER, allowNull: true },
    year: { type: DataTypes.INTEGER, allowNull: true },
    genre: { type: DataTypes.STRING(255), allowNull: true },
    duration_ms: { type: DataTypes.INTEGER, allowNull: true },
    tempo: { type: DataTypes.FLOAT, allowNull: true },
    key: { type: DataTypes.STRING(8), allowNull: true },
    mode: { type: DataTypes.STRING(8), allowNull: true },
    loudness: { type: DataTypes.FLOAT, allowNull: true },
    features: { type: DataTypes.JSON, allowNull: true },
    lyrics: { type: DataTypes.TEXT, allowNull: true },
    lyrics_aligned: { type: DataTypes.JSON, allowNull: true },
    media_path: { type: DataTypes.STRING(1024), allowNull: true },
    media_hash: { type: DataTypes.STRING(64), allowNull: true },
    media_size: { type: DataTypes.BIGINT, allowNull: true },
    media_format: { type: DataTypes.STRING(32), allowNull: true },
    cache_state: { type: DataTypes.STRING(16), allowNull: false, defaultValue: "none" },
    date_added: now,
    created_at: now,
    updated_at: now,
  });
  await addIndexOnce(qi, "songs", ["artist"], { name: "songs_artist" });
  await addIndexOnce(qi, "songs", ["album"], { name: "songs_album" });
  await addIndexOnce(qi, "songs", ["genre"], { name: "songs_genre" });
  await addIndexOnce(qi, "songs", ["date_added"], { name: "songs_date_added" });
  await addIndexOnce(qi, "songs", ["media_hash"], { name: "songs_media_hash" });

  await qi.createTable("song_sources", {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    song_id: {
      type: DataTypes.INTEGER, allowNull: false,
      references: { model: "songs", key: "id" }, onDelete: "CASCADE",
    },
    source: { type: DataTypes.STRING(32), allowNull: false },
    source_id: { type: DataTypes.STRING(512), allowNull: false },
    url: { type: DataTypes.TEXT, allowNull: true },
    created_at: now,
    updated_at: now,
  });
  await addIndexOnce(qi, "song_sources", ["source", "source_id"], { unique: true, name: "song_sources_source_source_id" });
  await addIndexOnce(qi, "song_sources", ["song_id"], { name: "song_sources_song_id" });

  await qi.createTable("playlists", {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    owner_id: {
      type: DataTypes.INTEGER, allowNull: false,
      references: { model: "users", key: "id" }, onDelete: "CASCADE",
    },
    name: { type: DataTypes.STRING(255), allowNull: false },
    description: { type: DataTypes.TEXT, allowNull: true },
    public: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
    immutable: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
    original_id: {
      type: DataTypes.INTEGER, allowNull: true,
      references: { model: "playlists", key: "id" }, onDelete: "SET NULL",
    },
    source: { type: DataTypes.STRING(32), allowNull: true },
    created_at: now,
    updated_at: now,
  });
  await addIndexOnce(qi, "playlists", ["owner_id"], { name: "playlists_owner_id" });

  await qi.createTable("playlist_songs", {
    playlist_id: {
      type: DataTypes.INTEGER, allowNull: false, primaryKey: true,
      references: { model: "playlists", key: "id" }, onDelete: "CASCADE",
    },
    position: { type: DataTypes.INTEGER, allowNull: false, primaryKey: true },
    song_id: {
      type: DataTypes.INTEGER, allowNull: false,
      references: { model: "songs", key: "id" }, onDelete: "CASCADE",
    },
  });
  await addIndexOnce(qi, "playlist_songs", ["song_id"], { name: "playlist_songs_song_id" });
}
