// The caching proxy: a remote song (a URL import not downloaded yet) is streamed to its listeners
// while it is fetched, and the fetch lands it in the media store (lib/stream/shared-download.ts
// does the sharing: one HTTP request per song however many listen). Once complete, the file
// becomes the song's audio exactly as the pipeline's download stage would make it
// (adoptDownloaded in services/ingest/fetch.ts): tags filled, a twin merged, the song marked
// local — so the download stage, when its turn comes, finds the song local and skips it.
// A failed fetch leaves nothing behind (staging deleted, song still remote), and its listeners see
// a cut connection, never a clean end of a partial file.
// Pages (YouTube …) need yt-dlp, which cannot stream: those answer 503 until downloaded.
import crypto from "node:crypto";
import fsp from "node:fs/promises";
import path from "node:path";
import type { LoggerInstance } from "moleculer";
import { Errors } from "moleculer";
import type { Config } from "../../lib/config.js";
import type { Database } from "../../lib/db/connection.js";
import type { Models } from "../../lib/db/models.js";
import { needsYtDlp } from "../../lib/ingest/ytdlp.js";
import { isAudioContentType, sniffFile } from "../../lib/media/sniff.js";
import { stagingDir } from "../../lib/media/store.js";
import { contentTypeFor } from "../../lib/stream/range.js";
import { SharedDownloadError, SharedDownloads, fetchBody, type CompletedDownload, type ReaderHandle } from "../../lib/stream/shared-download.js";
import { adoptDownloaded, fetchTarget } from "../ingest/fetch.js";

export interface ProxyEnv {
  cfg: Config;
  database: Database;
  models: Models;
  logger: LoggerInstance;
}

export class RemoteProxy {
  readonly downloads: SharedDownloads;
  /** Downloads this proxy started, by key: their URL and song. */
  private readonly started = new Map<string, { songId: number; url: string }>();

  constructor(private readonly env: ProxyEnv) {
    this.downloads = new SharedDownloads({
      maxBytes: env.cfg.mediaMaxBytes,
      onComplete: (finalPath, info) => this.adopt(finalPath, info),
    });
  }

  /** The URL the song's audio can be streamed from; 503 when it cannot be (a page, no source). */
  async target(songId: number): Promise<string> {
    const { Song, SongSource } = this.env.models;
    const song = await Song.findByPk(songId);
    const sources = await SongSource.findAll({ where: { song_id: songId }, order: [["id", "ASC"]] });
    const url = song ? fetchTarget(song, sources) : null;
    if (!url || needsYtDlp(url)) {
      throw new Errors.MoleculerClientError(
        `Song ${songId} is not downloaded yet and its source cannot be streamed directly; try again once the pipeline has fetched it`,
        503, "NOT_DOWNLOADED_YET", { retryAfter: 30 });
    }
    return url;
  }

  /** A reader of the song's bytes from `start` to `end` (inclusive), joining the download under way or starting it. */
  async open(songId: number, url: string, range: { start?: number; end?: number } = {}): Promise<ReaderHandle & { contentType: string }> {
    const key = `song-${songId}`;
    const staging = stagingDir(this.env.cfg);
    const finalPath = path.join(staging, `.proxied-${songId}-${crypto.randomBytes(6).toString("hex")}`);
    if (!this.downloads.active.includes(key)) this.started.set(key, { songId, url });
    const fetch = fetchBody(url, { timeoutMs: this.env.cfg.downloadTimeout });
    let handle: ReaderHandle;
    try {
      handle = await this.downloads.open(key, async (signal) => {
        const body = await fetch(signal);
        if (isAudioContentType(body.contentType) === "not-audio") {
          body.body.destroy();
          throw new SharedDownloadError(`${url} answered ${body.contentType}, not audio`, key);
        }
        return body;
      }, finalPath, staging, range);
    } catch (err) {
      throw new Errors.MoleculerError(`Song ${songId} could not be fetched: ${(err as Error).message}`, 502, "UPSTREAM_FAILED");
    }
    // The file that landed is removed from staging once adopted and no reader can still open it by name.
    handle.complete.then((done) => fsp.rm(done.finalPath, { force: true }), () => {}).catch(() => {});
    const announced = isAudioContentType(handle.contentType) === "audio" ? handle.contentType!.split(";")[0]!.trim() : null;
    const fromUrl = contentTypeFor(path.extname(new URL(url).pathname));
    return { ...handle, contentType: announced ?? (fromUrl !== "application/octet-stream" ? fromUrl : "audio/mpeg") };
  }

  async close(): Promise<void> {
    await this.downloads.close();
  }

  /** A complete download becomes the song's audio (a hard link goes to adoption, which moves it into the store). */
  private async adopt(finalPath: string, info: CompletedDownload): Promise<void> {
    const meta = this.started.get(info.key);
    this.started.delete(info.key);
    if (!meta) return;
    const { Song } = this.env.models;
    const staged = path.join(path.dirname(finalPath), `.adopt-${crypto.randomBytes(6).toString("hex")}`);
    try {
      const song = await Song.findByPk(meta.songId);
      if (!song || song.cache_state !== "remote") return; // the download stage was faster
      const sniffed = await sniffFile(finalPath);
      if (!sniffed) throw new Error("the body is not audio");
      await fsp.link(finalPath, staged);
      const outcome = await adoptDownloaded(this.env, song, { path: staged, sha256: info.sha256, ext: sniffed.ext, fileName: null }, meta.url);
      this.env.logger.info(`Song ${meta.songId}: streamed from ${meta.url} and kept (${info.bytes} bytes${outcome.mergedInto ? `, merged into ${outcome.mergedInto}` : ""}).`);
    } catch (err) {
      this.env.logger.warn(`Song ${meta.songId}: the streamed download could not be kept: ${(err as Error).message}`);
    } finally {
      await fsp.rm(staged, { force: true });
    }
  }
}
