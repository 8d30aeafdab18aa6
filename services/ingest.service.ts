// ingest: brings music into the library. This first part scans the library folder: on start
// and on demand, files are listed, compared with what the database knows (lib/ingest/
// reconcile.ts), and only new or changed files are read — tags through music-metadata (the
// folder names stand in for missing ones), a SHA-256 of the content for identity.
// Reads/writes: songs, song_sources (source "local", id = path inside the library folder).
// Safe to run twice: a second scan of an unchanged folder changes nothing; a moved file keeps
// its song (same content hash); a deleted file marks its song missing and keeps it, with the
// playlists and other user data that point at it.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { parseFile } from "music-metadata";
import type { Context, Service, ServiceSchema } from "moleculer";
import { Op } from "sequelize";
import { DbMixin } from "../mixins/db.mixin.js";
import { brokerConfig, type Config } from "../lib/config.js";
import type { Database } from "../lib/db/connection.js";
import type { Models } from "../lib/db/models.js";
import { requireAdmin, type Meta } from "../lib/auth/access.js";
import { isAudioFile, planScan, tagsFromPath, type DiskFile, type KnownFile } from "../lib/ingest/reconcile.js";
import { songDto, type SongDto } from "./songs.service.js";

const LIBRARY = "library:";

export interface ScanStatus {
  running: boolean;
  startedAt: string | null;
  finishedAt: string | null;
  files: number;
  processed: number;
  toProcess: number;
  added: number;
  updated: number;
  moved: number;
  /** Files whose content is already in the library under another path: a source of that song. */
  duplicates: number;
  missing: number;
  unchanged: number;
  errors: Array<{ path: string; error: string }>;
}

type This = Service & {
  cfg: Config;
  database: Database;
  models: Models;
  status: ScanStatus;
  scanning?: Promise<ScanStatus>;
  stopping: boolean;
  /** Files that could not be read, by path: skipped (and reported again) until they change. */
  unreadable: Map<string, { size: number; mtimeMs: number; error: string }>;
  runScan(): Promise<ScanStatus>;
  listFiles(): Promise<DiskFile[]>;
  readFile(file: DiskFile): Promise<FileFacts>;
};

/** What a file says about its song: the tag fields of a song, its content hash and container. */
type FileFacts = Pick<SongDto, "title" | "artist" | "album" | "albumArtist" | "trackNo" | "discNo" | "year" | "genre" | "durationMs"> & {
  hash: string;
  format: string | null;
};

function idle(): ScanStatus {
  return {
    running: false, startedAt: null, finishedAt: null, files: 0, processed: 0, toProcess: 0,
    added: 0, updated: 0, moved: 0, duplicates: 0, missing: 0, unchanged: 0, errors: [],
  };
}

async function sha256File(file: string): Promise<string> {
  const hash = crypto.createHash("sha256");
  await pipeline(fs.createReadStream(file), hash);
  return hash.digest("hex");
}

const clean = (v: unknown, max = 512): string | null => (typeof v === "string" && v.trim() ? v.trim().slice(0, max) : null);

function songFields(f: FileFacts, file: DiskFile) {
  return {
    title: f.title, artist: f.artist, album: f.album, album_artist: f.albumArtist, track_no: f.trackNo,
    disc_no: f.discNo, year: f.year, genre: f.genre, duration_ms: f.durationMs, media_format: f.format,
    media_path: LIBRARY + file.rel, media_hash: f.hash, media_size: file.size, media_mtime_ms: Math.trunc(file.mtimeMs),
    cache_state: "local",
  };
}

const IngestService: ServiceSchema = {
  name: "ingest",
  mixins: [DbMixin("Song")],

  actions: {
    /** Starts a scan of the library folder (or joins the one running); `wait` returns its result. */
    scan: {
      params: { wait: { type: "boolean", optional: true, convert: true } },
      async handler(this: This, ctx: Context<{ wait?: boolean }, Meta & { $statusCode?: number }>) {
        requireAdmin(ctx);
        this.scanning ??= this.runScan().finally(() => (this.scanning = undefined));
        if (ctx.params.wait) return this.scanning;
        ctx.meta.$statusCode = 202;
        return this.status;
      },
    },

    scanStatus: {
      handler(this: This) {
        return this.status;
      },
    },
  },

  methods: {
    async listFiles(this: This): Promise<DiskFile[]> {
      const root = this.cfg.libraryDir;
      const out: DiskFile[] = [];
      const walk = async (dir: string): Promise<void> => {
        let entries: fs.Dirent[];
        try {
          entries = await fs.promises.readdir(dir, { withFileTypes: true });
        } catch (err) {
          this.status.errors.push({ path: path.relative(root, dir) || ".", error: (err as Error).message });
          return;
        }
        for (const e of entries) {
          if (e.name.startsWith(".")) continue;
          const abs = path.join(dir, e.name);
          if (e.isDirectory()) await walk(abs);
          else if (e.isFile() && isAudioFile(e.name)) {
            const st = await fs.promises.stat(abs).catch(() => undefined);
            if (st) out.push({ rel: path.relative(root, abs).split(path.sep).join("/"), size: st.size, mtimeMs: st.mtimeMs });
          }
        }
      };
      await walk(root);
      return out;
    },

    async readFile(this: This, file: DiskFile): Promise<FileFacts> {
      const abs = path.join(this.cfg.libraryDir, file.rel);
      if (file.size === 0) throw new Error("the file is empty");
      const meta = await parseFile(abs, { skipCovers: true, duration: false });
      if (!meta.format.container && !meta.format.codec) throw new Error("not a recognisable audio file");
      if (!meta.format.duration && !meta.format.numberOfSamples && !meta.format.bitrate) {
        throw new Error("no audio stream found (truncated or not audio)");
      }
      const c = meta.common;
      const guess = tagsFromPath(file.rel);
      return {
        hash: await sha256File(abs),
        title: clean(c.title) ?? guess.title,
        artist: clean(c.artist) ?? clean(c.albumartist) ?? guess.artist,
        album: clean(c.album) ?? guess.album,
        albumArtist: clean(c.albumartist),
        trackNo: c.track?.no ?? guess.trackNo,
        discNo: c.disk?.no ?? null,
        year: c.year ?? null,
        genre: clean(c.genre?.[0], 255),
        durationMs: meta.format.duration ? Math.round(meta.format.duration * 1000) : null,
        format: clean(meta.format.container ?? meta.format.codec, 32),
      };
    },

    async runScan(this: This): Promise<ScanStatus> {
      const { Song, SongSource } = this.models;
      const status: ScanStatus = (this.status = { ...idle(), running: true, startedAt: new Date().toISOString() });
      const t0 = Date.now();
      try {
        const disk = await this.listFiles();
        status.files = disk.length;
        const rows = await Song.findAll({
          where: { media_path: { [Op.like]: `${LIBRARY}%` } },
          attributes: ["id", "media_path", "media_size", "media_mtime_ms", "media_hash", "cache_state"],
        });
        const known: KnownFile[] = rows.map((r) => ({
          rel: String(r.media_path).slice(LIBRARY.length),
          songId: r.id,
          size: r.media_size == null ? null : Number(r.media_size),
          mtimeMs: r.media_mtime_ms == null ? null : Number(r.media_mtime_ms),
          missing: r.cache_state === "missing",
        }));
        const plan = planScan(disk, known);
        plan.added = plan.added.filter((f) => {
          const bad = this.unreadable.get(f.rel);
          if (bad && bad.size === f.size && bad.mtimeMs === f.mtimeMs) {
            status.errors.push({ path: f.rel, error: bad.error });
            return false;
          }
          return true;
        });
        status.unchanged = plan.unchanged;
        status.toProcess = plan.added.length + plan.changed.length;
        // Songs whose file went away, by content: a new file with the same content is that file moved.
        const hashOf = new Map(rows.map((r) => [r.id as number, r.media_hash as string | null]));
        const gone = new Map<string, KnownFile>();
        for (const v of plan.vanished) {
          const hash = hashOf.get(v.songId);
          if (hash) gone.set(hash, v);
        }
        const progress = () => {
          status.processed++;
          if (status.processed % 25 === 0 || status.processed === status.toProcess) {
            this.broker.broadcast("ingest.scan.progress", { processed: status.processed, total: status.toProcess });
          }
        };

        for (const file of plan.changed) {
          if (this.stopping) break;
          try {
            const facts = await this.readFile(file);
            await Song.update(songFields(facts, file), { where: { id: file.songId } });
            status.updated++;
          } catch (err) {
            status.errors.push({ path: file.rel, error: (err as Error).message });
          }
          progress();
        }

        const moved = new Set<number>();
        for (const file of plan.added) {
          if (this.stopping) break;
          try {
            const facts = await this.readFile(file);
            const from = gone.get(facts.hash);
            await this.database.writeTransaction(async (transaction) => {
              if (from) {
                gone.delete(facts.hash);
                moved.add(from.songId);
                await Song.update(songFields(facts, file), { where: { id: from.songId }, transaction });
                await SongSource.update(
                  { source_id: file.rel },
                  { where: { song_id: from.songId, source: "local", source_id: from.rel }, transaction },
                );
                status.moved++;
                return;
              }
              // The same content already in the library under another path: one song, two sources.
              const twin = await Song.findOne({ where: { media_hash: facts.hash }, transaction });
              if (twin) {
                await SongSource.findOrCreate({
                  where: { source: "local", source_id: file.rel },
                  defaults: { song_id: twin.id, source: "local", source_id: file.rel },
                  transaction,
                });
                status.duplicates++;
                return;
              }
              const song = await Song.create({ ...songFields(facts, file), date_added: new Date() }, { transaction });
              await SongSource.create({ song_id: song.id, source: "local", source_id: file.rel }, { transaction });
              status.added++;
              this.broker.emit("song.created", { song: songDto(song) });
            });
          } catch (err) {
            const error = (err as Error).message;
            status.errors.push({ path: file.rel, error });
            this.unreadable.set(file.rel, { size: file.size, mtimeMs: file.mtimeMs, error });
          }
          progress();
        }

        const stillGone = this.stopping ? [] : plan.vanished.filter((v) => !moved.has(v.songId));
        if (stillGone.length) {
          await Song.update({ cache_state: "missing" }, { where: { id: stillGone.map((v) => v.songId) } });
          status.missing = stillGone.length;
        }
        if (plan.returned.length) {
          await Song.update({ cache_state: "local" }, { where: { id: plan.returned.map((r) => r.songId) } });
          status.unchanged += plan.returned.length;
        }
      } catch (err) {
        status.errors.push({ path: ".", error: (err as Error).message });
      } finally {
        status.running = false;
        status.finishedAt = new Date().toISOString();
      }
      this.logger.info(
        `Library scan: ${status.files} files, ${status.added} added, ${status.updated} updated, ${status.moved} moved, ` +
          `${status.missing} missing, ${status.unchanged} unchanged, ${status.errors.length} errors (${Date.now() - t0} ms).`,
      );
      for (const e of status.errors.slice(0, 20)) this.logger.warn(`  ${e.path}: ${e.error}`);
      this.broker.broadcast("ingest.scanned", status);
      return status;
    },
  },

  created(this: Service) {
    const self = this as This;
    self.cfg = brokerConfig(this.broker);
    self.status = idle();
    self.stopping = false;
    self.unreadable = new Map();
  },

  async started(this: Service) {
    const self = this as This;
    fs.mkdirSync(self.cfg.libraryDir, { recursive: true });
    // The first scan runs in the background: the node is up and serving meanwhile.
    if (self.cfg.scanOnStart) self.scanning = self.runScan().finally(() => (self.scanning = undefined));
  },

  async stopped(this: Service) {
    // A scan stops between two files; what it did so far is kept, the next scan does the rest.
    (this as This).stopping = true;
    await (this as This).scanning?.catch(() => undefined);
  },
};

export default IngestService;
