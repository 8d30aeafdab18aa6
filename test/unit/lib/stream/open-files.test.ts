// The open-file cache behind the gateway's file serving: descriptors shared while valid, closed
// only when unused, a replaced file picked up after the validity window; and serveFile with it
// (and its pooled buffers) answering many concurrent ranges of different files byte-exact.
import fs from "node:fs";
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OpenFiles } from "../../../../lib/stream/open-files.js";
import { pooledBuffers, serveFile, trimBufferPool } from "../../../../lib/stream/range.js";

let dir: string;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Descriptors of this process open on `file` (`target` names a deleted or replaced one: "<file> (deleted)"). */
function fdsOn(file: string): number {
  return fs.readdirSync("/proc/self/fd").filter((fd) => {
    try {
      return fs.readlinkSync(`/proc/self/fd/${fd}`) === file;
    } catch {
      return false;
    }
  }).length;
}

/** Closing happens on libuv's thread pool: waits (up to 2 s) until `f()` gives `want`, then returns what it gives. */
async function settles<T>(f: () => T, want: T): Promise<T> {
  for (let i = 0; i < 100 && f() !== want; i++) await sleep(20);
  return f();
}

function write(name: string, content: string | Buffer): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "tonearm-open-files-"));
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("OpenFiles", () => {
  it("shares one descriptor between requests while valid, and keeps it open idle until it expires", async () => {
    const file = write("a.mp3", "abc");
    const files = new OpenFiles({ validMs: 300 });
    const [x, y] = await Promise.all([files.acquire(file), files.acquire(file)]);
    const z = await files.acquire(file);
    expect(y.fd).toBe(x.fd);
    expect(z.fd).toBe(x.fd);
    expect(fdsOn(file)).toBe(1);
    files.release(x);
    files.release(y);
    files.release(z);
    expect(fdsOn(file)).toBe(1); // idle, still valid
    for (let i = 0; i < 50 && fdsOn(file) > 0; i++) await sleep(50);
    expect(fdsOn(file)).toBe(0); // swept once expired
    files.close();
  });

  it("a file replaced is served as it was within the window, and anew after it", async () => {
    const file = write("b.mp3", "old content");
    const files = new OpenFiles({ validMs: 150 });
    const first = await files.acquire(file);
    const read = (f: { fd: number; stat: fs.Stats }) => {
      const buf = Buffer.alloc(f.stat.size);
      fs.readSync(f.fd, buf, 0, buf.length, 0);
      return buf.toString();
    };
    fs.writeFileSync(path.join(dir, "b.tmp"), "new content, longer");
    fs.renameSync(path.join(dir, "b.tmp"), file);
    const again = await files.acquire(file);
    expect(read(again)).toBe("old content"); // same inode: size, bytes and ETag agree
    expect(again.stat.size).toBe(11);
    await sleep(200);
    const fresh = await files.acquire(file);
    expect(read(fresh)).toBe("new content, longer");
    expect(fresh.stat.ino).not.toBe(first.stat.ino);
    // The old descriptor is still in use: dropped from the cache, not closed under its users.
    expect(read(first)).toBe("old content");
    const old = `${file} (deleted)`;
    expect(fdsOn(old)).toBe(1);
    files.release(first);
    await sleep(50);
    expect(fdsOn(old)).toBe(1); // `again` still uses it
    files.release(again);
    expect(await settles(() => fdsOn(old), 0)).toBe(0); // closed with its last user
    files.release(fresh);
    expect(fdsOn(file)).toBe(1);
    files.close();
    expect(await settles(() => fdsOn(file), 0)).toBe(0);
  });

  it("forget() closes an idle descriptor and the next acquire opens the path again", async () => {
    const file = write("c.mp3", "c");
    const files = new OpenFiles();
    const a = await files.acquire(file);
    files.release(a);
    files.forget(file);
    expect(await settles(() => fdsOn(file), 0)).toBe(0);
    const b = await files.acquire(file);
    expect(fdsOn(file)).toBe(1);
    files.release(b);
    files.close();
    expect(await settles(() => fdsOn(file), 0)).toBe(0);
  });

  it("keeps at most maxEntries idle descriptors, dropping the least recently used", async () => {
    const names = ["d1", "d2", "d3", "d4"].map((n) => write(`${n}.mp3`, n));
    const files = new OpenFiles({ maxEntries: 2 });
    for (const f of names) files.release(await files.acquire(f));
    await settles(() => names.map(fdsOn).join(), "0,0,1,1");
    expect(names.map(fdsOn)).toEqual([0, 0, 1, 1]);
    // In use, descriptors are never limited: each belongs to a response.
    const held = await Promise.all(names.map((f) => files.acquire(f)));
    expect(names.map(fdsOn)).toEqual([1, 1, 1, 1]);
    for (const h of held) files.release(h);
    expect(await settles(() => names.map(fdsOn).reduce((a, b) => a + b), 2)).toBe(2);
    files.close();
  });

  it("failures are not cached: a missing file found later, a directory refused", async () => {
    const files = new OpenFiles();
    const later = path.join(dir, "later.mp3");
    await expect(files.acquire(later)).rejects.toMatchObject({ code: "ENOENT" });
    fs.writeFileSync(later, "here now");
    const f = await files.acquire(later);
    expect(f.stat.size).toBe(8);
    files.release(f);
    await expect(files.acquire(dir)).rejects.toMatchObject({ code: "EISDIR" });
    expect(await settles(() => fdsOn(dir), 0)).toBe(0);
    expect(() => files.release(f)).toThrow(/released more often/);
    files.close();
  });

  it("validMs 0: every acquire opens and every release closes", async () => {
    const file = write("e.mp3", "e");
    const files = new OpenFiles({ validMs: 0 });
    const a = await files.acquire(file);
    const b = await files.acquire(file);
    expect(b.fd).not.toBe(a.fd);
    expect(fdsOn(file)).toBe(2);
    files.release(a);
    files.release(b);
    expect(await settles(() => fdsOn(file), 0)).toBe(0);
  });
});

describe("serveFile with the open-file cache", () => {
  let server: http.Server;
  let base: string;
  const files = new OpenFiles({ validMs: 200 });
  const contents: Record<string, Buffer> = {};

  beforeAll(async () => {
    // Three files of different sizes and bytes, so a buffer or descriptor mixed up between
    // responses shows as wrong bytes.
    for (const [name, size, seed] of [["x.mp3", 3 << 20, 3], ["y.flac", 700 << 10, 5], ["z.ogg", 100 << 10, 7], ["w.wav", 24 << 20, 11]] as const) {
      const b = Buffer.alloc(size);
      for (let i = 0; i < size; i++) b[i] = (i * seed + (i >> 9)) & 0xff;
      contents[name] = b;
      write(name, b);
    }
    server = http.createServer((req, res) => {
      const target = path.join(dir, new URL(req.url!, "http://x").pathname.slice(1));
      serveFile(req, res, target, { contentType: "application/octet-stream", files }).catch(() => {
        if (!res.headersSent) res.writeHead(404).end();
        else res.destroy();
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    files.close();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it("200 concurrent ranges of three files (small, 256 KiB, large, open-ended), half of them read slowly, are byte-exact", async () => {
    let seed = 1;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const names = ["x.mp3", "y.flac", "z.ogg"];
    const jobs = Array.from({ length: 200 }, () => {
      const name = names[rand(names.length)];
      const size = contents[name].length;
      const len = [1000, 256 << 10, 600 << 10, 0][rand(4)];
      const from = rand(Math.max(1, size - len));
      const end = len ? Math.min(size - 1, from + len - 1) : size - 1;
      return { name, from, end, range: len ? `bytes=${from}-${end}` : `bytes=${from}-`, slow: rand(2) === 0 };
    });
    // A slow reader leaves the server's write pending (the socket buffer full): a buffer handed
    // to another response before its write completed would change the bytes this one receives.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 40 });
    const got = await Promise.all(jobs.map((j) => new Promise<{ status: number; body: Buffer }>((resolve, reject) => {
      http.get(`${base}/${j.name}`, { agent, headers: { range: j.range } }, (res) => {
        const parts: Buffer[] = [];
        let paused = !j.slow;
        res.on("data", (d: Buffer) => {
          parts.push(d);
          if (paused) return;
          paused = true;
          res.pause();
          setTimeout(() => res.resume(), 150);
        });
        res.on("end", () => resolve({ status: res.statusCode!, body: Buffer.concat(parts) }));
        res.on("error", reject);
      }).on("error", reject);
    })));
    agent.destroy();
    for (const [i, j] of jobs.entries()) {
      expect(got[i].status, j.range).toBe(206);
      expect(got[i].body.equals(contents[j.name].subarray(j.from, j.end + 1)), `${j.name} ${j.range}`).toBe(true);
    }
    // One descriptor per file at most, however many requests.
    for (const name of names) expect(fdsOn(path.join(dir, name))).toBeLessThanOrEqual(1);
    // The buffers came back to the pool, and leave it once idle for a whole trim interval.
    expect(pooledBuffers()).toBeGreaterThan(0);
    trimBufferPool();
    trimBufferPool();
    expect(pooledBuffers()).toBe(0);
  });

  it("a response waiting its turn behind a pipelined one keeps its bytes while other responses run", async () => {
    // Two pipelined requests on one connection whose client does not read yet: the second
    // answer's body waits in the server (Node queues it until the first finishes; the first is
    // larger than the kernel's socket buffers can take). Meanwhile
    // other clients' 256 KiB ranges run. A pooled buffer handed on before its response finished
    // would reach the waiting client with someone else's bytes.
    const { port } = new URL(base);
    const sock = net.connect(Number(port), "127.0.0.1");
    sock.pause();
    await new Promise<void>((r) => sock.once("connect", () => r()));
    sock.write("GET /w.wav HTTP/1.1\r\nHost: t\r\nRange: bytes=0-\r\n\r\nGET /y.flac HTTP/1.1\r\nHost: t\r\nRange: bytes=1000-200999\r\n\r\n");
    await sleep(100);
    const others = await Promise.all(Array.from({ length: 30 }, (_, i) => fetch(`${base}/x.mp3`, { headers: { range: `bytes=${i * 9999}-${i * 9999 + (256 << 10) - 1}` } }).then(async (r) => Buffer.from(await r.arrayBuffer()))));
    for (const [i, b] of others.entries()) expect(b.equals(contents["x.mp3"].subarray(i * 9999, i * 9999 + (256 << 10)))).toBe(true);
    const chunks: Buffer[] = [];
    sock.on("data", (d: Buffer) => chunks.push(d));
    sock.resume();
    const want = contents["w.wav"].length + 200_000;
    for (let i = 0; i < 200; i++) {
      const body = Buffer.concat(chunks);
      const heads = body.toString("latin1").split("\r\n\r\n").length - 1;
      if (heads >= 2 && body.length >= want) break;
      await sleep(20);
    }
    sock.destroy();
    const all = Buffer.concat(chunks);
    const firstHead = all.indexOf("\r\n\r\n") + 4;
    const firstEnd = firstHead + contents["w.wav"].length;
    expect(all.subarray(firstHead, firstEnd).equals(contents["w.wav"])).toBe(true);
    const second = all.subarray(firstEnd);
    expect(second.toString("latin1")).toMatch(/^HTTP\/1\.1 206/);
    const secondBody = second.subarray(second.indexOf("\r\n\r\n") + 4);
    expect(secondBody.length).toBe(200_000);
    expect(secondBody.equals(contents["y.flac"].subarray(1000, 201_000))).toBe(true);
  });

  it("a file replaced gets a new ETag and bytes once the window has passed", async () => {
    const file = path.join(dir, "z.ogg");
    const before = await fetch(`${base}/z.ogg`, { headers: { range: "bytes=0-9" } });
    const etag = before.headers.get("etag");
    await before.arrayBuffer();
    fs.writeFileSync(path.join(dir, "z.tmp"), "replaced!!");
    fs.renameSync(path.join(dir, "z.tmp"), file);
    await sleep(250);
    const after = await fetch(`${base}/z.ogg`);
    expect(after.status).toBe(200);
    expect(after.headers.get("etag")).not.toBe(etag);
    expect(await after.text()).toBe("replaced!!");
  });

  it("a file deleted answers 404 once the window has passed", async () => {
    const file = write("gone.mp3", "soon gone");
    const first = await fetch(`${base}/gone.mp3`);
    expect(await first.text()).toBe("soon gone");
    fs.rmSync(file);
    await sleep(250);
    expect((await fetch(`${base}/gone.mp3`)).status).toBe(404);
    expect(await settles(() => fdsOn(`${file} (deleted)`), 0)).toBe(0);
  });
});
