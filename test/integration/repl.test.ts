// The operator REPL, driven as an operator would: `tonearm repl` with commands on its stdin.
import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmbedded, http, register, tempDir } from "../helpers/embedded.js";
import { runRepl } from "../helpers/repl.js";

let dir: string;

beforeAll(async () => {
  dir = tempDir();
  const app = await startEmbedded({}, dir);
  const admin = await register(app.url, "admin");
  for (const song of [
    { title: "Here Comes the Sun", artist: "The Beatles", album: "Abbey Road", durationMs: 185_000 },
    { title: "So What", artist: "Miles Davis", album: "Kind of Blue", durationMs: 562_000 },
  ]) await http(app.url, "POST", "/api/songs", { token: admin.accessToken, body: song });
  await app.stop();
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("tonearm repl", () => {
  it("lists, filters and searches songs, and shows the cluster", async () => {
    const { answers, exitCode } = await runRepl([
      "songs", "songs --artist \"Miles Davis\"", "search beatels sun", "search zzyzx", "cluster",
    ], { DATA_DIR: dir });
    expect(exitCode).toBe(0);
    const [songs, filtered, search, none, cluster] = answers;
    expect(songs).toMatch(/Here Comes the Sun\s+The Beatles\s+Abbey Road\s+3:05/);
    expect(songs).toMatch(/So What\s+Miles Davis\s+Kind of Blue\s+9:22/);
    expect(songs).toContain("2 song(s)");
    expect(filtered).toContain("So What");
    expect(filtered).not.toContain("Here Comes the Sun");
    expect(search).toMatch(/Here Comes the Sun ~/);
    expect(none).toContain('no songs match "zzyzx"');
    expect(cluster).toMatch(/api,playlists,songs,system,users/);
  }, 60_000);
});
