// The operator REPL, driven as an operator would: `tonearm repl` with commands on its stdin.
import { spawn } from "node:child_process";
import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmbedded, http, register, tempDir } from "../helpers/embedded.js";

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

/** Runs the REPL, types each command once the prompt has answered the previous one. */
async function repl(commands: string[]): Promise<string[]> {
  const child = spawn(process.execPath, ["--import", "tsx", "bin/tonearm.ts", "repl"], {
    env: { ...process.env, DATA_DIR: dir, PORT: "0", HOST: "127.0.0.1" },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  const prompts = () => out.split("tonearm $").length - 1;
  const waitPrompt = async (n: number) => {
    const deadline = Date.now() + 20_000;
    while (prompts() < n) {
      if (Date.now() > deadline) throw new Error(`REPL did not answer:\n${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const answers: string[] = [];
  await waitPrompt(1);
  for (const [i, cmd] of commands.entries()) {
    const before = out.length;
    child.stdin.write(cmd + "\n");
    await waitPrompt(i + 2);
    answers.push(out.slice(before));
  }
  child.stdin.write("quit\n");
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  expect(code).toBe(0);
  return answers;
}

describe("tonearm repl", () => {
  it("lists, filters and searches songs, and shows the cluster", async () => {
    const [songs, filtered, search, none, cluster] = await repl([
      "songs", "songs --artist \"Miles Davis\"", "search beatels sun", "search zzyzx", "cluster",
    ]);
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
