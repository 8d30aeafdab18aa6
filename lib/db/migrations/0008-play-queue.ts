// The play queue a Subsonic app saves (savePlayQueue) and another device of the same user picks up
// (getPlayQueue): one row per user — the queued song ids in order (JSON), the song playing, the
// position in it, when and from which app it was saved. Times are epoch milliseconds. Guarded so
// running twice is harmless.
import { DataTypes, type QueryInterface } from "sequelize";

export const name = "0008-play-queue";

export async function up(qi: QueryInterface): Promise<void> {
  const list = (await qi.showAllTables()) as Array<string | { tableName: string }>;
  if (list.some((t) => (typeof t === "string" ? t : t.tableName) === "play_queues")) return;
  await qi.createTable("play_queues", {
    user_id: { type: DataTypes.INTEGER, allowNull: false, primaryKey: true, references: { model: "users", key: "id" }, onDelete: "CASCADE" },
    song_ids: { type: DataTypes.TEXT, allowNull: false },
    current_id: { type: DataTypes.INTEGER, allowNull: true },
    position_ms: { type: DataTypes.BIGINT, allowNull: false, defaultValue: 0 },
    changed_at: { type: DataTypes.BIGINT, allowNull: false },
    changed_by: { type: DataTypes.STRING(128), allowNull: true },
  });
}

