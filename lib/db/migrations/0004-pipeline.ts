// The song pipeline: one row per (song, stage) with its state, attempts, last error, timings,
// the node that ran it and the stage's algorithm version (pipelines/README.md). Times are epoch
// milliseconds (BIGINT) so that both dialects compare them the same way in the dispatch query.
// Songs gain what ingest and the probe stage learn about their audio: ISRC, codec, sample rate,
// channels, bit rate, where the cover art is kept, and why the audio is unusable if it is.
import { DataTypes, type QueryInterface } from "sequelize";

export const name = "0004-pipeline";

export async function up(qi: QueryInterface): Promise<void> {
  const tables = (await qi.showAllTables()).map((t) => (typeof t === "string" ? t : (t as { tableName: string }).tableName));
  if (!tables.includes("pipeline_stages")) {
    await qi.createTable("pipeline_stages", {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      song_id: { type: DataTypes.INTEGER, allowNull: false, references: { model: "songs", key: "id" }, onDelete: "CASCADE" },
      stage: { type: DataTypes.STRING(32), allowNull: false },
      // pending | running | done | skipped | failed
      state: { type: DataTypes.STRING(16), allowNull: false, defaultValue: "pending" },
      // 0 = new songs; 1 = background re-runs (version bumps, rerun requests) — new songs go first.
      priority: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      attempts: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      version: { type: DataTypes.INTEGER, allowNull: true },
      last_error: { type: DataTypes.TEXT, allowNull: true },
      error_type: { type: DataTypes.STRING(64), allowNull: true },
      node_id: { type: DataTypes.STRING(128), allowNull: true },
      owner: { type: DataTypes.STRING(128), allowNull: true },
      queued_at: { type: DataTypes.BIGINT, allowNull: false },
      next_attempt_at: { type: DataTypes.BIGINT, allowNull: false, defaultValue: 0 },
      lease_until: { type: DataTypes.BIGINT, allowNull: true },
      started_at: { type: DataTypes.BIGINT, allowNull: true },
      finished_at: { type: DataTypes.BIGINT, allowNull: true },
      duration_ms: { type: DataTypes.INTEGER, allowNull: true },
      updated_at: { type: DataTypes.BIGINT, allowNull: false },
    });
    await qi.addIndex("pipeline_stages", ["song_id", "stage"], { unique: true, name: "pipeline_stages_song_stage" });
    await qi.addIndex("pipeline_stages", ["stage", "state", "priority", "next_attempt_at"], { name: "pipeline_stages_dispatch" });
  }
  const columns = await qi.describeTable("songs");
  const add = async (col: string, spec: { type: DataTypes.DataType }) => {
    if (!columns[col]) await qi.addColumn("songs", col, { ...spec, allowNull: true });
  };
  await add("isrc", { type: DataTypes.STRING(16) });
  await add("media_codec", { type: DataTypes.STRING(32) });
  await add("media_sample_rate", { type: DataTypes.INTEGER });
  await add("media_channels", { type: DataTypes.INTEGER });
  await add("media_bit_rate", { type: DataTypes.INTEGER });
  await add("media_error", { type: DataTypes.TEXT });
  await add("artwork_path", { type: DataTypes.STRING(1024) });
  const indexes = (await qi.showIndex("songs")) as Array<{ name: string }>;
  if (!indexes.some((i) => i.name === "songs_media_hash")) await qi.addIndex("songs", ["media_hash"], { name: "songs_media_hash" });
  if (!indexes.some((i) => i.name === "songs_isrc")) await qi.addIndex("songs", ["isrc"], { name: "songs_isrc" });
  const srcIdx = (await qi.showIndex("song_sources")) as Array<{ name: string }>;
  if (!srcIdx.some((i) => i.name === "song_sources_url")) await qi.addIndex("song_sources", ["url"], { name: "song_sources_url" });
}
