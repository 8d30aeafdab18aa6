// Many clients writing at once through one SQLite file: every write lands or is refused with
// a 4xx — none fails with a database busy error.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmbedded, http, register, type Embedded } from "../helpers/embedded.js";

let app: Embedded;
let adminToken = "";
beforeAll(async () => {
  app = await startEmbedded({ LOGIN_RATE_LIMIT: "0" });
});
afterAll(() => app?.stop());

describe("concurrent writers", () => {
  it("registers 12 users at once: exactly one admin, no errors", async () => {
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => http(app.url, "POST", "/api/auth/register", { body: { username: `user${i}`, password: "a long password" } })),
    );
    expect(results.map((r) => r.status)).toEqual(Array(12).fill(201));
    const admins = results.filter((r) => r.body.user.role === "admin");
    expect(admins).toHaveLength(1);
    adminToken = admins[0].body.accessToken;
  });

  it("edits playlists from many clients at once without losing any edit", async () => {
    const owner = await register(app.url, "editor");
    const created = await Promise.all(
      Array.from({ length: 5 }, (_, i) => http(app.url, "POST", "/api/songs", { token: adminToken, body: { title: `Song ${i}` } })),
    );
    expect(created.map((c) => c.status)).toEqual(Array(5).fill(201));
    const songs: number[] = created.map((c) => c.body.id);
    const playlists = await Promise.all(
      Array.from({ length: 10 }, (_, i) => http(app.url, "POST", "/api/playlists", { token: owner.accessToken, body: { name: `P${i}`, songIds: songs } })),
    );
    expect(playlists.map((p) => p.status)).toEqual(Array(10).fill(201));
    const edits = await Promise.all(playlists.map((p, i) =>
      http(app.url, "PUT", `/api/playlists/${p.body.id}`, { token: owner.accessToken, body: { name: `Renamed ${i}`, songIds: [...songs].reverse() } })));
    expect(edits.map((e) => e.status)).toEqual(Array(10).fill(200));
    const list = await http(app.url, "GET", "/api/playlists", { token: owner.accessToken });
    expect(list.body.map((p: { name: string }) => p.name).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `Renamed ${i}`).sort());
    expect(list.body.every((p: { songCount: number }) => p.songCount === songs.length)).toBe(true);
  });
});
