// Song search over title, artist and album.
//
// SQLite: FTS5 (lib/db/migrations/0002-search.ts) ranked by BM25 with the title weighted over
// the artist over the album. Every query word matches as a prefix ("beat" finds "Beatles"), so
// results follow typing. When that finds fewer than asked, each word of four letters or more
// is also matched against the index vocabulary within a small edit distance (one typo up to 7
// letters, two beyond), the way Lucene's fuzzy queries do with a shared first letter; those
// results follow the exact ones.
// PostgreSQL: every word must occur (ILIKE) in one of the three fields; no typo tolerance.
import { QueryTypes, type Sequelize } from "sequelize";
import { boundedEditDistance, ftsString, tokenize, typoBudget } from "./text.js";

export interface SearchHit {
  id: number;
  fuzzy: boolean;
}

const MAX_ALTERNATIVES = 8;
const BM25 = "bm25(songs_fts, 10.0, 5.0, 3.0)";

async function ftsQuery(db: Sequelize, match: string, limit: number, offset: number): Promise<number[]> {
  const rows = await db.query<{ id: number }>(
    `SELECT rowid AS id FROM songs_fts WHERE songs_fts MATCH :match ORDER BY ${BM25} LIMIT :limit OFFSET :offset`,
    { replacements: { match, limit, offset }, type: QueryTypes.SELECT },
  );
  return rows.map((r) => r.id);
}

/** Vocabulary terms within the typo budget of `word`, sharing its first letter. */
async function alternatives(db: Sequelize, word: string): Promise<string[]> {
  const budget = typoBudget(word.length);
  if (budget === 0) return [];
  const first = word[0];
  const rows = await db.query<{ term: string; doc: number }>(
    `SELECT term, doc FROM songs_fts_vocab WHERE term >= :lo AND term < :hi`,
    { replacements: { lo: first, hi: first + "\uffff" }, type: QueryTypes.SELECT },
  );
  const scored: Array<{ term: string; d: number; doc: number }> = [];
  for (const { term, doc } of rows) {
    if (term.startsWith(word)) continue; // already found by the prefix match
    const d = boundedEditDistance(word, term.length > word.length + budget ? term.slice(0, word.length + budget) : term, budget);
    // A longer term whose beginning is within the budget is a typo'd prefix ("beatel" → "beatles").
    if (d <= budget) scored.push({ term, d, doc });
  }
  scored.sort((a, b) => a.d - b.d || b.doc - a.doc);
  return scored.slice(0, MAX_ALTERNATIVES).map((s) => s.term);
}

export async function searchSongIds(
  db: Sequelize, dialect: string, query: string, limit: number, offset = 0,
): Promise<SearchHit[]> {
  const words = tokenize(query).slice(0, 12);
  if (words.length === 0) return [];
  if (dialect !== "sqlite") return likeSearch(db, words, limit, offset);

  const exactMatch = words.map((w) => `${ftsString(w)}*`).join(" AND ");
  const exact = await ftsQuery(db, exactMatch, limit + offset, 0);
  const hits: SearchHit[] = exact.map((id) => ({ id, fuzzy: false }));
  if (exact.length < limit + offset) {
    const groups = await Promise.all(words.map(async (w) => {
      const alts = await alternatives(db, w);
      return alts.length ? `(${[`${ftsString(w)}*`, ...alts.map(ftsString)].join(" OR ")})` : `${ftsString(w)}*`;
    }));
    const fuzzyMatch = groups.join(" AND ");
    if (fuzzyMatch !== exactMatch) {
      const seen = new Set(exact);
      for (const id of await ftsQuery(db, fuzzyMatch, limit + offset, 0)) {
        if (!seen.has(id)) hits.push({ id, fuzzy: true });
      }
    }
  }
  return hits.slice(offset, offset + limit);
}

async function likeSearch(db: Sequelize, words: string[], limit: number, offset: number): Promise<SearchHit[]> {
  const conditions = words.map((_, i) => `(title ILIKE :w${i} OR artist ILIKE :w${i} OR album ILIKE :w${i})`);
  const replacements: Record<string, unknown> = { limit, offset };
  words.forEach((w, i) => (replacements[`w${i}`] = `%${w.replace(/[\\%_]/g, (c) => "\\" + c)}%`));
  const rows = await db.query<{ id: number }>(
    `SELECT id FROM songs WHERE ${conditions.join(" AND ")} ORDER BY title LIMIT :limit OFFSET :offset`,
    { replacements, type: QueryTypes.SELECT },
  );
  return rows.map((r) => ({ id: r.id, fuzzy: false }));
}
