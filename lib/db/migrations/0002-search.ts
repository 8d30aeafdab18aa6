// Full-text search over songs (title, artist, album).
// SQLite: an FTS5 index kept in step with `songs` by triggers (so every writer, including
// ones outside the library service, keeps it right), plus a vocabulary view for typo-tolerant
// lookups. Existing songs are indexed by the 'rebuild' command, so upgrading a library that
// predates this migration makes every song searchable.
// PostgreSQL: a trigram-free fallback needs nothing here (see lib/search/query.ts).
import type { QueryInterface } from "sequelize";

export const name = "0002-search";

export async function up(qi: QueryInterface): Promise<void> {
  if (qi.sequelize.getDialect() !== "sqlite") return;
  const q = (sql: string) => qi.sequelize.query(sql);
  await q(`CREATE VIRTUAL TABLE IF NOT EXISTS songs_fts USING fts5(
    title, artist, album,
    content='songs', content_rowid='id',
    tokenize="unicode61 remove_diacritics 2",
    prefix='2 3'
  )`);
  await q(`CREATE VIRTUAL TABLE IF NOT EXISTS songs_fts_vocab USING fts5vocab(songs_fts, 'row')`);
  await q(`CREATE TRIGGER IF NOT EXISTS songs_fts_ai AFTER INSERT ON songs BEGIN
    INSERT INTO songs_fts(rowid, title, artist, album) VALUES (new.id, new.title, new.artist, new.album);
  END`);
  await q(`CREATE TRIGGER IF NOT EXISTS songs_fts_ad AFTER DELETE ON songs BEGIN
    INSERT INTO songs_fts(songs_fts, rowid, title, artist, album) VALUES ('delete', old.id, old.title, old.artist, old.album);
  END`);
  await q(`CREATE TRIGGER IF NOT EXISTS songs_fts_au AFTER UPDATE OF title, artist, album ON songs BEGIN
    INSERT INTO songs_fts(songs_fts, rowid, title, artist, album) VALUES ('delete', old.id, old.title, old.artist, old.album);
    INSERT INTO songs_fts(rowid, title, artist, album) VALUES (new.id, new.title, new.artist, new.album);
  END`);
  await q(`INSERT INTO songs_fts(songs_fts) VALUES ('rebuild')`);
}
