// Audio features (issue 5, lib/features/): the feature-extract stage stores tempo, key, mode and
// loudness in the columns songs always had, the whole analysis in `features` (JSON, with its
// algorithm version), and, as columns so that song listings can filter and sort on them, energy,
// danceability, valence, the instrumental estimate, the gain to the target loudness and the true
// peak.
import { DataTypes, type QueryInterface } from "sequelize";

export const name = "0006-features";

export async function up(qi: QueryInterface): Promise<void> {
  const columns = await qi.describeTable("songs");
  const add = async (col: string, type: DataTypes.DataType) => {
    if (!columns[col]) await qi.addColumn("songs", col, { type, allowNull: true });
  };
  await add("energy", DataTypes.FLOAT);
  await add("danceability", DataTypes.FLOAT);
  await add("valence", DataTypes.FLOAT);
  await add("instrumental", DataTypes.FLOAT);
  await add("gain_db", DataTypes.FLOAT);
  await add("true_peak", DataTypes.FLOAT);
  await add("features_version", DataTypes.INTEGER);
  const indexes = (await qi.showIndex("songs")) as Array<{ name: string }>;
  for (const col of ["tempo", "key", "energy"]) {
    if (!indexes.some((i) => i.name === `songs_${col}`)) await qi.addIndex("songs", [col], { name: `songs_${col}` });
  }
}
