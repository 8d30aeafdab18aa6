// Library-folder files: the modification time beside the size already kept, so a rescan can
// tell unchanged files without reading them, and an index to find a song by its file.
import { DataTypes, type QueryInterface } from "sequelize";

export const name = "0003-library-files";

export async function up(qi: QueryInterface): Promise<void> {
  const columns = await qi.describeTable("songs");
  if (!columns.media_mtime_ms) await qi.addColumn("songs", "media_mtime_ms", { type: DataTypes.BIGINT, allowNull: true });
  const indexes = (await qi.showIndex("songs")) as Array<{ name: string }>;
  if (!indexes.some((i) => i.name === "songs_media_path")) await qi.addIndex("songs", ["media_path"], { name: "songs_media_path" });
}
