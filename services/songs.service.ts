// songs: the song catalogue — listing with filters, one song with its sources, admin creation,
// and search. Reads/writes: songs, song_sources (the search index follows by trigger).
import type { Context, ServiceSchema, Service } from "moleculer";
import type { WhereOptions } from "sequelize";
import { DbMixin } from "../mixins/db.mixin.js";
import type { Database } from "../lib/db/connection.js";
import type { Models, Row } from "../lib/db/models.js";
import { requireAdmin, type Meta } from "../lib/auth/access.js";
import { notFound } from "../lib/errors.js";
import { searchSongIds } from "../lib/search/songs-search.js";
import { isoDate } from "../lib/dates.js";
import { brokerConfig } from "../lib/config.js";
import { NOT_RETRIED, created } from "../lib/retry.js";

type This = Service & { database: Database; models: Models };

export interface SongDto {
  id: number;
  title: string;
  artist: string | null;
  album: string | null;
  albumArtist: string | null;
  trackNo: number | null;
  discNo: number | null;
  year: number | null;
  genre: string | null;
  durationMs: number | null;
  tempo: number | null;
  key: string | null;
  mode: string | null;
  loudness: number | null;
  cacheState: string;
  /** Whether cover art was found in the file (served by the stream service's artwork endpoint). */
  hasArtwork: boolean;
  dateAdded: string | null;
  sources?: Array<{ source: string; sourceId: string; url: string | null }>;
}

export function songDto(s: Row | Record<string, any>): SongDto {
  const dto: SongDto = {
    id: s.id,
    title: s.title,
    artist: s.artist ?? null,
    album: s.album ?? null,
    albumArtist: s.album_artist ?? null,
    trackNo: s.track_no ?? null,
    discNo: s.disc_no ?? null,
    year: s.year ?? null,
    genre: s.genre ?? null,
    durationMs: s.duration_ms ?? null,
    tempo: s.tempo ?? null,
    key: s.key ?? null,
    mode: s.mode ?? null,
    loudness: s.loudness ?? null,
    cacheState: s.cache_state,
    hasArtwork: !!s.artwork_path,
    dateAdded: isoDate(s.date_added),
  };
  if (Array.isArray(s.sources)) {
    dto.sources = s.sources.map((src: Row) => ({ source: src.source, sourceId: src.source_id, url: src.url ?? null }));
  }
  return dto;
}

const SORTS: Record<string, [string, "ASC" | "DESC"][]> = {
  title: [["title", "ASC"], ["id", "ASC"]],
  artist: [["artist", "ASC"], ["album", "ASC"], ["disc_no", "ASC"], ["track_no", "ASC"], ["id", "ASC"]],
  album: [["album", "ASC"], ["disc_no", "ASC"], ["track_no", "ASC"], ["id", "ASC"]],
  recent: [["date_added", "DESC"], ["id", "DESC"]],
  id: [["id", "ASC"]],
};

// The two hot read paths (one song, search results) read rows with plain SQL (database.select)
// instead of model queries, which cost Sequelize's per-query overhead, an extra PRAGMA round
// trip and model instances for every column. songDto reads either kind of row.
const DTO_COLUMNS = ["id", "title", "artist", "album", "album_artist", "track_no", "disc_no", "year", "genre",
  "duration_ms", "tempo", "key", "mode", "loudness", "cache_state", "artwork_path", "date_added"];
const DTO_SELECT = DTO_COLUMNS.map((c) => `s."${c}"`).join(", ");

const TEXT = (max: number) => ({ type: "string", trim: true, max, optional: true, nullable: true });

const SongsService: ServiceSchema = {
  name: "songs",
  mixins: [DbMixin("Song")],

  actions: {
    listSongs: {
      params: {
        page: { type: "number", integer: true, positive: true, convert: true, default: 1 },
        pageSize: { type: "number", integer: true, min: 1, max: 500, convert: true, default: 50 },
        artist: { type: "string", max: 512, optional: true },
        album: { type: "string", max: 512, optional: true },
        genre: { type: "string", max: 255, optional: true },
        sort: { type: "enum", values: Object.keys(SORTS), default: "artist" },
      },
      async handler(this: This, ctx: Context<{ page: number; pageSize: number; artist?: string; album?: string; genre?: string; sort: string }>) {
        const { page, pageSize } = ctx.params;
        // Filters are exact: clients pass back the names the library gave them.
        const where: WhereOptions = {};
        for (const field of ["artist", "album", "genre"] as const) {
          const value = ctx.params[field];
          if (value !== undefined) Object.assign(where, { [field]: value });
        }
        const { Song } = this.models;
        const [total, rows] = await Promise.all([
          Song.count({ where }),
          Song.findAll({ where, order: SORTS[ctx.params.sort], limit: pageSize, offset: (page - 1) * pageSize }),
        ]);
        return { rows: rows.map(songDto), total, page, pageSize, totalPages: Math.ceil(total / pageSize) };
      },
    },

    getSong: {
      params: { id: { type: "number", integer: true, positive: true, convert: true } },
      async handler(this: This, ctx: Context<{ id: number }>) {
        // The song and its sources in one round trip: one row per source, or one with NULLs.
        const rows = await this.database.select<Record<string, any>>(
          `SELECT ${DTO_SELECT}, src.source AS src_source, src.source_id AS src_source_id, src.url AS src_url
             FROM songs s LEFT JOIN song_sources src ON src.song_id = s.id
            WHERE s.id = ? ORDER BY src.id`,
          [ctx.params.id],
        );
        if (rows.length === 0) throw notFound("Song", ctx.params.id);
        const song = rows[0];
        song.sources = rows
          .filter((r) => r.src_source != null)
          .map((r) => ({ source: r.src_source, source_id: r.src_source_id, url: r.src_url }));
        return songDto(song);
      },
    },

    createSong: {
      retryPolicy: NOT_RETRIED,
      params: {
        title: { type: "string", trim: true, min: 1, max: 512 },
        artist: TEXT(512),
        album: TEXT(512),
        albumArtist: TEXT(512),
        genre: TEXT(255),
        trackNo: { type: "number", integer: true, min: 0, optional: true, nullable: true },
        discNo: { type: "number", integer: true, min: 0, optional: true, nullable: true },
        year: { type: "number", integer: true, min: 0, max: 9999, optional: true, nullable: true },
        durationMs: { type: "number", integer: true, min: 0, optional: true, nullable: true },
      },
      async handler(this: This, ctx: Context<Record<string, any>, Meta>) {
        requireAdmin(ctx);
        const p = ctx.params;
        const song = await this.models.Song.create({
          title: p.title,
          artist: p.artist ?? null,
          album: p.album ?? null,
          album_artist: p.albumArtist ?? null,
          genre: p.genre ?? null,
          track_no: p.trackNo ?? null,
          disc_no: p.discNo ?? null,
          year: p.year ?? null,
          duration_ms: p.durationMs ?? null,
          date_added: new Date(),
        });
        const dto = songDto(song);
        ctx.emit("song.created", { song: dto });
        created(ctx.meta, `/api/songs/${dto.id}`);
        return dto;
      },
    },

    search: {
      params: {
        q: { type: "string", trim: true, min: 1, max: 200 },
        limit: { type: "number", integer: true, min: 1, max: 100, convert: true, default: 20 },
        offset: { type: "number", integer: true, min: 0, max: 10_000, convert: true, default: 0 },
      },
      async handler(this: This, ctx: Context<{ q: string; limit: number; offset: number }>) {
        const hits = await searchSongIds(this.database, ctx.params.q, ctx.params.limit, ctx.params.offset, brokerConfig(this.broker).searchCacheSize);
        const songs = hits.length === 0 ? [] : await this.database.select<Record<string, any>>(
          `SELECT ${DTO_SELECT} FROM songs s WHERE s.id IN (${hits.map(() => "?").join(", ")})`,
          hits.map((h) => h.id),
        );
        const byId = new Map(songs.map((s) => [s.id as number, s]));
        const rows = hits.flatMap((h) => {
          const s = byId.get(h.id);
          return s ? [{ ...songDto(s), fuzzy: h.fuzzy }] : [];
        });
        return { query: ctx.params.q, rows, limit: ctx.params.limit, offset: ctx.params.offset };
      },
    },
  },
};

export default SongsService;
