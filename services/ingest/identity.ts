// One song, many sources: when a song turns out to be another one the library already has (the
// same file content today; the fingerprint stage decides on sound later), it is merged into it.
// Its sources, playlist entries and pipeline rows go, its user data moves to the song kept.
// One write transaction: either everything moves or nothing does.
import type { Database } from "../../lib/db/connection.js";
import type { Models } from "../../lib/db/models.js";

export async function mergeSongs(env: { database: Database; models: Models }, fromId: number, intoId: number): Promise<void> {
  const { Song, SongSource, PlaylistSong, PipelineStage } = env.models;
  await env.database.writeTransaction(async (transaction) => {
    await SongSource.update({ song_id: intoId }, { where: { song_id: fromId }, transaction });
    await PlaylistSong.update({ song_id: intoId }, { where: { song_id: fromId }, transaction });
    await PipelineStage.destroy({ where: { song_id: fromId }, transaction });
    await Song.destroy({ where: { id: fromId }, transaction });
  });
}
