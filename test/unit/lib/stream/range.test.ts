// Byte ranges, validators and serveFile: the pure rules first, then serveFile behind a real
// loopback server, checked the way a player and a browser cache would (status, headers, bytes),
// and that a client leaving midway closes the file.
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  contentDisposition, contentTypeFor, etagFor, evaluateConditionals, ifRangeAllows, parseHttpDate, parseRange, serveFile,
} from "../../../../lib/stream/range.js";

describe("parseRange", () => {
  const size = 1000;
  it.each([
    ["bytes=0-99", { kind: "ok", start: 0, end: 99 }],
    ["bytes=500-599", { kind: "ok", start: 500, end: 599 }],
    ["bytes=900-1999", { kind: "ok", start: 900, end: 999 }],
    ["bytes=999-999", { kind: "ok", start: 999, end: 999 }],
    ["bytes=100-", { kind: "ok", start: 100, end: 999 }],
    ["bytes=-100", { kind: "ok", start: 900, end: 999 }],
    ["bytes=-5000", { kind: "ok", start: 0, end: 999 }],
    ["BYTES = 0-0", { kind: "ok", start: 0, end: 0 }],
    ["bytes=0-9, 5-19", { kind: "ok", start: 0, end: 19 }],
    ["bytes=20-29,0-9,10-19", { kind: "ok", start: 0, end: 29 }],
    ["bytes=0-9,50-59", { kind: "ok", start: 0, end: 59 }], // small gap: coalesced
    ["bytes=0-9,500-509", { kind: "ignore" }], // far apart: no multipart, whole file
    ["bytes=2000-3000,0-9", { kind: "ok", start: 0, end: 9 }], // the unsatisfiable part is dropped
    ["bytes=1000-", { kind: "unsatisfiable" }],
    ["bytes=1000-1001", { kind: "unsatisfiable" }],
    ["bytes=-0", { kind: "unsatisfiable" }],
    ["bytes=5-1", { kind: "ignore" }],
    ["bytes=abc", { kind: "ignore" }],
    ["bytes=-", { kind: "ignore" }],
    ["bytes=1.5-2", { kind: "ignore" }],
    ["items=0-1", { kind: "ignore" }],
    ["bytes=", { kind: "ignore" }],
    ["0-100", { kind: "ignore" }],
    ["bytes=" + Array.from({ length: 40 }, (_, i) => `${i}-${i}`).join(","), { kind: "ignore" }],
  ])("%s", (header, expected) => {
    expect(parseRange(header, size)).toEqual(expected);
  });

  it("no header: none", () => expect(parseRange(undefined, size)).toEqual({ kind: "none" }));

  it("zero-length files", () => {
    expect(parseRange("bytes=0-", 0)).toEqual({ kind: "unsatisfiable" });
    expect(parseRange("bytes=0-0", 0)).toEqual({ kind: "unsatisfiable" });
    expect(parseRange("bytes=-10", 0)).toEqual({ kind: "ignore" });
  });
});

describe("validators", () => {
  const lastModified = new Date("2024-05-01T10:00:00.750Z");
  const etag = etagFor({ size: 1000, mtimeMs: lastModified.getTime(), ino: 42 });
  const v = { etag, lastModified };
  const imf = (d: Date) => d.toUTCString();

  it("etagFor: quoted, strong, changes with size, mtime, inode and variant", () => {
    expect(etag).toMatch(/^"[^"\s]+"$/);
    expect(etagFor({ size: 1000, mtimeMs: lastModified.getTime(), ino: 42 })).toBe(etag);
    const others = [
      etagFor({ size: 1001, mtimeMs: lastModified.getTime(), ino: 42 }),
      etagFor({ size: 1000, mtimeMs: lastModified.getTime() + 1, ino: 42 }),
      etagFor({ size: 1000, mtimeMs: lastModified.getTime(), ino: 43 }),
      etagFor({ size: 1000, mtimeMs: lastModified.getTime(), ino: 42 }, "opus-128"),
    ];
    expect(new Set([etag, ...others]).size).toBe(5);
  });

  it("If-None-Match: match, list, *, weak comparison", () => {
    expect(evaluateConditionals({ "if-none-match": etag }, v)).toBe("not-modified");
    expect(evaluateConditionals({ "if-none-match": `"x", ${etag}` }, v)).toBe("not-modified");
    expect(evaluateConditionals({ "if-none-match": `W/${etag}` }, v)).toBe("not-modified");
    expect(evaluateConditionals({ "if-none-match": "*" }, v)).toBe("not-modified");
    expect(evaluateConditionals({ "if-none-match": `"other"` }, v)).toBe("proceed");
    expect(evaluateConditionals({ "if-none-match": etag }, { ...v, method: "PUT" })).toBe("precondition-failed");
  });

  it("If-None-Match wins over If-Modified-Since", () => {
    const later = imf(new Date(lastModified.getTime() + 3600_000));
    expect(evaluateConditionals({ "if-none-match": `"other"`, "if-modified-since": later }, v)).toBe("proceed");
  });

  it("If-Modified-Since at second precision", () => {
    expect(evaluateConditionals({ "if-modified-since": imf(lastModified) }, v)).toBe("not-modified");
    expect(evaluateConditionals({ "if-modified-since": imf(new Date(lastModified.getTime() - 1000)) }, v)).toBe("proceed");
    expect(evaluateConditionals({ "if-modified-since": "yesterday" }, v)).toBe("proceed");
    expect(evaluateConditionals({ "if-modified-since": imf(lastModified) }, { ...v, method: "POST" })).toBe("proceed");
  });

  it("If-Match (strong) and If-Unmodified-Since", () => {
    expect(evaluateConditionals({ "if-match": etag }, v)).toBe("proceed");
    expect(evaluateConditionals({ "if-match": "*" }, v)).toBe("proceed");
    expect(evaluateConditionals({ "if-match": `W/${etag}` }, v)).toBe("precondition-failed");
    expect(evaluateConditionals({ "if-match": `"other"` }, v)).toBe("precondition-failed");
    expect(evaluateConditionals({ "if-unmodified-since": imf(new Date(lastModified.getTime() - 1000)) }, v)).toBe("precondition-failed");
    expect(evaluateConditionals({ "if-unmodified-since": imf(lastModified) }, v)).toBe("proceed");
    // If-Match present: If-Unmodified-Since is not looked at
    expect(evaluateConditionals({ "if-match": etag, "if-unmodified-since": imf(new Date(0)) }, v)).toBe("proceed");
  });

  it("If-Range: strong ETag or exact date only", () => {
    expect(ifRangeAllows({}, v)).toBe(true);
    expect(ifRangeAllows({ "if-range": etag }, v)).toBe(true);
    expect(ifRangeAllows({ "if-range": `"stale"` }, v)).toBe(false);
    expect(ifRangeAllows({ "if-range": `W/${etag}` }, v)).toBe(false);
    expect(ifRangeAllows({ "if-range": imf(lastModified) }, v)).toBe(true);
    expect(ifRangeAllows({ "if-range": imf(new Date(lastModified.getTime() + 5000)) }, v)).toBe(false);
    expect(ifRangeAllows({ "if-range": "garbage" }, v)).toBe(false);
  });

  it("parseHttpDate: the three formats, GMT", () => {
    const t = Date.UTC(1994, 10, 6, 8, 49, 37) / 1000;
    expect(parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT")).toBe(t);
    expect(parseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT")).toBe(t);
    expect(parseHttpDate("Sun Nov  6 08:49:37 1994")).toBe(t);
    expect(parseHttpDate("2024-01-01")).toBeNull();
    expect(parseHttpDate(undefined)).toBeNull();
  });
});

describe("contentTypeFor / contentDisposition", () => {
  it.each([
    ["mp3", "audio/mpeg"], [".FLAC", "audio/flac"], ["ogg", "audio/ogg"], ["oga", "audio/ogg"], ["opus", "audio/ogg"],
    ["m4a", "audio/mp4"], ["mp4", "audio/mp4"], ["aac", "audio/aac"], ["wav", "audio/wav"], ["webm", "audio/webm"],
    ["aiff", "audio/aiff"], ["wma", "audio/x-ms-wma"], ["ape", "audio/x-ape"], ["vorbis", "audio/ogg"], ["xyz", "application/octet-stream"],
  ])("%s → %s", (ext, type) => expect(contentTypeFor(ext)).toBe(type));

  it("Content-Disposition with an ASCII fallback and the UTF-8 name", () => {
    expect(contentDisposition(`Café "live".mp3`)).toBe(`attachment; filename="Caf_ _live_.mp3"; filename*=UTF-8''Caf%C3%A9%20%22live%22.mp3`);
    expect(contentDisposition("a/b\\c.mp3")).toContain(`filename="a_b_c.mp3"`);
  });
});

// ---- serveFile over loopback ----

let dir: string;
let file: string;
let big: string;
let empty: string;
let data: Buffer;
let server: http.Server;
let base: string;
const served: Array<Promise<void>> = [];
let lastError: unknown = null;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "tonearm-range-test-"));
  data = Buffer.alloc(10_000);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 8)) & 0xff;
  file = path.join(dir, "song.mp3");
  fs.writeFileSync(file, data);
  big = path.join(dir, "big.flac");
  fs.writeFileSync(big, Buffer.alloc(32 << 20, 1));
  empty = path.join(dir, "empty.mp3");
  fs.writeFileSync(empty, "");
  server = http.createServer((req, res) => {
    const url = new URL(req.url!, "http://x");
    const target = path.join(dir, url.pathname.slice(1));
    const p = serveFile(req, res, target, {
      contentType: contentTypeFor(path.extname(target)),
      cacheControl: "private, max-age=60",
      filename: url.searchParams.get("download") ?? undefined,
    }).catch((e) => {
      lastError = e;
      if (!res.headersSent) res.writeHead((e as NodeJS.ErrnoException).code === "ENOENT" ? 404 : 500).end();
    });
    served.push(p);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  fs.rmSync(dir, { recursive: true, force: true });
});

interface Got {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function request(pathname: string, headers: Record<string, string> = {}, method = "GET"): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = http.request(base + pathname, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

describe("serveFile", () => {
  it("200: the whole file with its headers", async () => {
    const r = await request("/song.mp3");
    expect(r.status).toBe(200);
    expect(r.body.equals(data)).toBe(true);
    expect(r.headers["content-length"]).toBe(String(data.length));
    expect(r.headers["content-type"]).toBe("audio/mpeg");
    expect(r.headers["accept-ranges"]).toBe("bytes");
    expect(r.headers["etag"]).toBe(etagFor(fs.statSync(file)));
    expect(r.headers["last-modified"]).toBe(fs.statSync(file).mtime.toUTCString());
    expect(r.headers["cache-control"]).toBe("private, max-age=60");
    expect(r.headers["content-disposition"]).toBeUndefined();
  });

  it.each([
    ["start", "bytes=0-99", 0, 99],
    ["middle", "bytes=4000-4999", 4000, 4999],
    ["end", "bytes=9900-9999", 9900, 9999],
    ["past the end, clamped", "bytes=9990-20000", 9990, 9999],
    ["suffix", "bytes=-300", 9700, 9999],
    ["open-ended", "bytes=7000-", 7000, 9999],
  ])("206: %s (%s)", async (_what, range, start, end) => {
    const r = await request("/song.mp3", { range });
    expect(r.status).toBe(206);
    expect(r.headers["content-range"]).toBe(`bytes ${start}-${end}/${data.length}`);
    expect(r.headers["content-length"]).toBe(String(end - start + 1));
    expect(r.body.equals(data.subarray(start, end + 1))).toBe(true);
  });

  it("invalid Range: ignored, 200 with everything", async () => {
    const r = await request("/song.mp3", { range: "bytes=abc" });
    expect(r.status).toBe(200);
    expect(r.body.equals(data)).toBe(true);
  });

  it("unsatisfiable: 416 with Content-Range: bytes */size", async () => {
    const r = await request("/song.mp3", { range: "bytes=10000-" });
    expect(r.status).toBe(416);
    expect(r.headers["content-range"]).toBe(`bytes */${data.length}`);
    expect(r.body.length).toBe(0);
  });

  it("HEAD: the headers of the 200, no body", async () => {
    const r = await request("/song.mp3", {}, "HEAD");
    expect(r.status).toBe(200);
    expect(r.headers["content-length"]).toBe(String(data.length));
    expect(r.headers["etag"]).toBeDefined();
    expect(r.headers["accept-ranges"]).toBe("bytes");
    expect(r.body.length).toBe(0);
  });

  it("If-None-Match → 304 without a body; If-Modified-Since too", async () => {
    const { headers } = await request("/song.mp3", {}, "HEAD");
    const r = await request("/song.mp3", { "if-none-match": headers.etag! });
    expect(r.status).toBe(304);
    expect(r.body.length).toBe(0);
    expect(r.headers.etag).toBe(headers.etag);
    expect(r.headers["cache-control"]).toBe("private, max-age=60");
    expect((await request("/song.mp3", { "if-modified-since": headers["last-modified"]! })).status).toBe(304);
  });

  it("If-Match with another ETag → 412", async () => {
    expect((await request("/song.mp3", { "if-match": `"nope"` })).status).toBe(412);
  });

  it("If-Range with a stale ETag → the whole file (200); with the current one → 206", async () => {
    const stale = await request("/song.mp3", { range: "bytes=0-9", "if-range": `"stale"` });
    expect(stale.status).toBe(200);
    expect(stale.body.equals(data)).toBe(true);
    const { headers } = await request("/song.mp3", {}, "HEAD");
    const fresh = await request("/song.mp3", { range: "bytes=0-9", "if-range": headers.etag! });
    expect(fresh.status).toBe(206);
    expect(fresh.body.equals(data.subarray(0, 10))).toBe(true);
  });

  it("download: Content-Disposition attachment", async () => {
    const r = await request("/song.mp3?download=" + encodeURIComponent("Ünïcode song.mp3"));
    expect(r.headers["content-disposition"]).toBe(`attachment; filename="_n_code song.mp3"; filename*=UTF-8''%C3%9Cn%C3%AFcode%20song.mp3`);
  });

  it("zero-length file: 200 empty; bytes=0- is 416 bytes */0", async () => {
    const r = await request("/empty.mp3");
    expect(r.status).toBe(200);
    expect(r.headers["content-length"]).toBe("0");
    const u = await request("/empty.mp3", { range: "bytes=0-" });
    expect(u.status).toBe(416);
    expect(u.headers["content-range"]).toBe("bytes */0");
  });

  it("missing file: rejects before sending anything (the route answers 404)", async () => {
    lastError = null;
    const r = await request("/nope.mp3");
    expect(r.status).toBe(404);
    expect((lastError as NodeJS.ErrnoException).code).toBe("ENOENT");
  });

  it("POST: 405", async () => {
    const r = await request("/song.mp3", {}, "POST");
    expect(r.status).toBe(405);
    expect(r.headers.allow).toBe("GET, HEAD");
  });

  it("a client leaving midway: serveFile resolves and the file descriptor is closed", async () => {
    const openOnBig = () => fs.readdirSync("/proc/self/fd").filter((fd) => {
      try {
        return fs.readlinkSync(`/proc/self/fd/${fd}`) === big;
      } catch {
        return false;
      }
    }).length;
    const fdCount = () => fs.readdirSync("/proc/self/fd").length;
    const before = fdCount();
    served.length = 0;
    await new Promise<void>((resolve, reject) => {
      const req = http.get(base + "/big.flac", { agent: false }, (res) => {
        expect(res.statusCode).toBe(200);
        res.once("data", () => {
          expect(openOnBig()).toBe(1); // the server is streaming it
          req.destroy();
          resolve();
        });
      });
      req.on("error", () => {});
      req.on("timeout", reject);
    });
    await Promise.race([served[0], new Promise((_, rej) => setTimeout(() => rej(new Error("serveFile did not settle")), 5000))]);
    for (let i = 0; i < 100 && (openOnBig() > 0 || fdCount() > before); i++) await new Promise((r) => setTimeout(r, 20));
    expect(openOnBig()).toBe(0);
    expect(fdCount()).toBeLessThanOrEqual(before);
  });
});
