// One song, many sources: when a song turns out to be another one the library already has (the
// same file content today; the fingerprint stage decides on sound later), it is merged into it.
// Its sources and playlist entries go to the song kept, its pipeline rows are dropped, and its
// listeners' plays, counts, ratings and stars move to the song kept.
// One write transaction: either everything moves or nothing does.
import type { Database } from "../../lib/db/connection.js";
import type { Models } from "../../lib/db/models.js";

export async function mergeSongs(env: { database: Database; models: Models }, fromId: number, intoId: number): Promise<void> {
  const { Song, SongSource, PlaylistSong, PipelineStage } = env.models;
  await env.database.writeTransaction(async (transaction) => {
    await SongSource.update({ song_id: intoId }, { where: { song_id: fromId }, transaction });
    await PlaylistSong.update({ song_id: intoId }, { where: { song_id: fromId }, transaction });
    await PipelineStage.destroy({ where: { song_id: fromId }, transaction });
    // Listeners' data (lib/db/migrations/0007-stream.ts): plays move; per-user stats add up.
    const q = (sql: string) => env.database.sequelize.query(sql, { replacements: { fromId, intoId }, transaction });
    await q(`UPDATE play_events SET song_id = :intoId WHERE song_id = :fromId`);
    await q(`INSERT INTO user_song_stats (user_id, song_id, play_count, last_played_at, rating, starred_at, updated_at)
             SELECT user_id, :intoId, play_count, last_played_at, rating, starred_at, updated_at FROM user_song_stats WHERE song_id = :fromId
             ON CONFLICT (user_id, song_id) DO UPDATE SET
               play_count = user_song_stats.play_count + excluded.play_count,
               last_played_at = CASE WHEN user_song_stats.last_played_at IS NULL OR excluded.last_played_at > user_song_stats.last_played_at
                                     THEN excluded.last_played_at ELSE user_song_stats.last_played_at END,
               rating = coalesce(user_song_stats.rating, excluded.rating),
               starred_at = coalesce(user_song_stats.starred_at, excluded.starred_at),
               updated_at = excluded.updated_at`);
    await q(`DELETE FROM user_song_stats WHERE song_id = :fromId`);
    await Song.destroy({ where: { id: fromId }, transaction });
  });
}
