// The library folder: files dropped into it become songs — with their tags, or with names taken
// from Artist/Album folders — and the library follows renames, retags and deletions.
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmbedded, http, register, tempDir, type Embedded } from "../helpers/embedded.js";
import { addCover, makeTone } from "../helpers/audio.js";

let dir: string;
let lib: string;
let app: Embedded;
let token: string;

const scan = async () => (await http(app.url, "POST", "/api/library/scan?wait=true", { token })).body;
const songs = async () =>
  (await http(app.url, "GET", "/api/songs?pageSize=100&sort=title", { token })).body.rows as Array<Record<string, any>>;

beforeAll(async () => {
  dir = tempDir();
  lib = path.join(dir, "library");
  makeTone(path.join(lib, "Tagged", "a.mp3"), { frequency: 440, tags: { title: "Morning Tone", artist: "Sine Ensemble", album: "Waves", track: "3", genre: "Ambient", date: "2021" } });
  addCover(path.join(lib, "Tagged", "a.mp3"));
  makeTone(path.join(lib, "Nina Simone", "Pastel Blues", "07 - Sinnerman.flac"), { frequency: 523, seconds: 3 });
  makeTone(path.join(lib, "loose.ogg"), { frequency: 660, tags: { title: "Loose Ogg", artist: "Vorbis" } });
  fs.writeFileSync(path.join(lib, "not-audio.mp3"), "this is a text file, not an mp3\n".repeat(50));
  fs.writeFileSync(path.join(lib, "empty.mp3"), "");
  fs.writeFileSync(path.join(lib, "cover.jpg"), "jpeg bytes");
  // No stage workers: song rows change only through scans here (the probe and feature stages would
  // refine durations and add features while the test compares listings).
  app = await startEmbedded({ LIBRARY_SCAN_ON_START: "false", LIBRARY_WATCH: "false", SERVICES: "core" }, dir);
  token = (await register(app.url, "admin")).accessToken;
});

afterAll(async () => {
  await app?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("library folder scan", () => {
  it("adds audio files with their tags, or names from their folders, and reports bad files", async () => {
    const result = await scan();
    expect(result).toMatchObject({ files: 5, added: 3, missing: 0 });
    expect(result.errors.map((e: { path: string }) => e.path).sort()).toEqual(["empty.mp3", "not-audio.mp3"]);

    const list = await songs();
    expect(list.map((s) => s.title)).toEqual(["Loose Ogg", "Morning Tone", "Sinnerman"]);
    const tagged = list.find((s) => s.title === "Morning Tone")!;
    expect(tagged).toMatchObject({ artist: "Sine Ensemble", album: "Waves", trackNo: 3, genre: "Ambient", year: 2021, cacheState: "local" });
    expect(tagged.durationMs).toBeGreaterThan(1800);
    expect(tagged.durationMs).toBeLessThan(2300);
    // Its embedded front cover is kept, by song id, under the data folder.
    expect(tagged.hasArtwork).toBe(true);
    const art = fs.readdirSync(path.join(dir, "artwork"), { recursive: true }).map(String).filter((f) => f.endsWith(".jpg"));
    expect(art).toEqual([`0000/${tagged.id}.jpg`]);
    expect(fs.readFileSync(path.join(dir, "artwork", art[0])).subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    const untagged = list.find((s) => s.title === "Sinnerman")!;
    expect(untagged.hasArtwork).toBe(false);
    expect(untagged).toMatchObject({ artist: "Nina Simone", album: "Pastel Blues", trackNo: 7 });
    const one = await http(app.url, "GET", `/api/songs/${untagged.id}`, { token });
    expect(one.body.sources).toEqual([{ source: "local", sourceId: "Nina Simone/Pastel Blues/07 - Sinnerman.flac", url: null }]);
    const found = await http(app.url, "GET", "/api/search?q=simone", { token });
    expect(found.body.rows.map((s: { title: string }) => s.title)).toEqual(["Sinnerman"]);
  });

  it("changes nothing when scanning an unchanged folder again", async () => {
    const before = await songs();
    const result = await scan();
    expect(result).toMatchObject({ files: 5, added: 0, updated: 0, moved: 0, missing: 0, unchanged: 3, toProcess: 0 });
    // The two unreadable files are reported again without being read again.
    expect(result.errors.map((e: { path: string }) => e.path).sort()).toEqual(["empty.mp3", "not-audio.mp3"]);
    expect(await songs()).toEqual(before);
  });

  it("keeps a moved file's song, follows a retag, and marks a deleted file missing without dropping it", async () => {
    const before = await songs();
    const id = (title: string) => before.find((s) => s.title === title)!.id;
    const playlist = await http(app.url, "POST", "/api/playlists", { token, body: { name: "Keep", songIds: [id("Loose Ogg")] } });

    fs.renameSync(path.join(lib, "Tagged", "a.mp3"), path.join(lib, "Tagged", "renamed.mp3"));
    makeTone(path.join(lib, "loose.ogg"), { frequency: 660, tags: { title: "Loose Ogg (Retagged)", artist: "Vorbis" } });
    fs.rmSync(path.join(lib, "Nina Simone"), { recursive: true });

    const result = await scan();
    expect(result).toMatchObject({ moved: 1, updated: 1, missing: 1, added: 0 });
    const after = await songs();
    expect(after.map((s) => [s.id, s.title, s.cacheState])).toEqual([
      [id("Loose Ogg"), "Loose Ogg (Retagged)", "local"],
      [id("Morning Tone"), "Morning Tone", "local"],
      [id("Sinnerman"), "Sinnerman", "missing"],
    ]);
    const moved = await http(app.url, "GET", `/api/songs/${id("Morning Tone")}`, { token });
    expect(moved.body.sources).toEqual([{ source: "local", sourceId: "Tagged/renamed.mp3", url: null }]);
    const kept = await http(app.url, "GET", `/api/playlists/${playlist.body.id}`, { token });
    expect(kept.body.songs.map((s: { title: string }) => s.title)).toEqual(["Loose Ogg (Retagged)"]);
  });

  it("brings a missing song back when its file returns, and joins a copy to the same song", async () => {
    makeTone(path.join(lib, "Nina Simone", "Pastel Blues", "07 - Sinnerman.flac"), { frequency: 523, seconds: 3 });
    fs.copyFileSync(path.join(lib, "Tagged", "renamed.mp3"), path.join(lib, "copy of renamed.mp3"));
    const result = await scan();
    expect(result).toMatchObject({ duplicates: 1, missing: 0 });
    const list = await songs();
    expect(list).toHaveLength(3);
    expect(list.every((s) => s.cacheState === "local")).toBe(true);
    const morning = await http(app.url, "GET", `/api/songs/${list.find((s) => s.title === "Morning Tone")!.id}`, { token });
    expect(morning.body.sources.map((s: { sourceId: string }) => s.sourceId).sort()).toEqual(["Tagged/renamed.mp3", "copy of renamed.mp3"]);
  });

  it("lets only an admin start a scan, and shows the last one to any user", async () => {
    const user = await register(app.url, "listener");
    expect((await http(app.url, "POST", "/api/library/scan", { token: user.accessToken })).status).toBe(403);
    const status = await http(app.url, "GET", "/api/library/scan", { token: user.accessToken });
    expect(status.body).toMatchObject({ running: false, files: 6 });
  });
});
