// Bookmarks (Subsonic createBookmark / getBookmarks / deleteBookmark): per user and song, where
// listening stopped (ms) and an optional comment — how audiobook and long-mix listeners resume on
// another device. Times are epoch milliseconds. Guarded so running twice is harmless.
import { DataTypes, type QueryInterface } from "sequelize";

export const name = "0010-bookmarks";

export async function up(qi: QueryInterface): Promise<void> {
  const list = (await qi.showAllTables()) as Array<string | { tableName: string }>;
  if (list.some((t) => (typeof t === "string" ? t : t.tableName) === "bookmarks")) return;
  await qi.createTable("bookmarks", {
    user_id: { type: DataTypes.INTEGER, allowNull: false, primaryKey: true, references: { model: "users", key: "id" }, onDelete: "CASCADE" },
    song_id: { type: DataTypes.INTEGER, allowNull: false, primaryKey: true, references: { model: "songs", key: "id" }, onDelete: "CASCADE" },
    position_ms: { type: DataTypes.BIGINT, allowNull: false },
    comment: { type: DataTypes.STRING(1024), allowNull: true },
    created_at: { type: DataTypes.BIGINT, allowNull: false },
    changed_at: { type: DataTypes.BIGINT, allowNull: false },
  });
}
