// The sonic space (embed stage, lib/embed/):
//  - embedding_models: every model fitted on the library — its algorithm and descriptor versions,
//    how many songs it was fitted on, its size and the share of the variance it keeps, and its
//    parameters (centre, scale, projection matrix, distance scale) as JSON. The newest row is the
//    model in use; older rows stay as a record of what was fitted when.
//  - embeddings: per song, its descriptor (base64 of little-endian float32 values, NaN where a
//    measurement is missing) with the descriptor version, and its mood coordinates. A song's
//    vector is not stored: it is the descriptor through the current model, computed when the
//    service loads (a 100,000-song library in well under a second), so a refit writes one row.
// Times are epoch milliseconds. Guarded so running twice is harmless.
import { DataTypes, type QueryInterface } from "sequelize";

export const name = "0009-embeddings";

export async function up(qi: QueryInterface): Promise<void> {
  const list = (await qi.showAllTables()) as Array<string | { tableName: string }>;
  const have = new Set(list.map((t) => (typeof t === "string" ? t : t.tableName)));
  if (!have.has("embedding_models")) {
    await qi.createTable("embedding_models", {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      version: { type: DataTypes.INTEGER, allowNull: false },
      descriptor_version: { type: DataTypes.INTEGER, allowNull: false },
      songs: { type: DataTypes.INTEGER, allowNull: false },
      dims: { type: DataTypes.INTEGER, allowNull: false },
      explained: { type: DataTypes.FLOAT, allowNull: false },
      params: { type: DataTypes.TEXT, allowNull: false },
      fitted_at: { type: DataTypes.BIGINT, allowNull: false },
      fit_ms: { type: DataTypes.INTEGER, allowNull: false },
    });
  }
  if (!have.has("embeddings")) {
    await qi.createTable("embeddings", {
      song_id: { type: DataTypes.INTEGER, primaryKey: true, references: { model: "songs", key: "id" }, onDelete: "CASCADE" },
      descriptor_version: { type: DataTypes.INTEGER, allowNull: false },
      descriptor: { type: DataTypes.TEXT, allowNull: false },
      valence: { type: DataTypes.FLOAT, allowNull: true },
      arousal: { type: DataTypes.FLOAT, allowNull: true },
      updated_at: { type: DataTypes.BIGINT, allowNull: false },
    });
  }
}
