// bench/stream — streaming benchmark of a Tonearm node, side by side with nginx.
//
// What it measures, and why: what a listener feels and what one node can carry.
//  - Time to first byte (TTFB) of sequential requests, measured with node:http over a kept-alive
//    connection: a Range of a file on disk (the original; a finished transcode is the same path)
//    and a fresh transcode (mp3 → Opus, each request a bit rate not cached yet, abandoned after
//    its first byte). Targets: p95 < 10 ms on disk, < 300 ms for a transcode.
//  - Throughput of concurrent Range requests (wrk, one thread, a Lua script choosing a random
//    file per request, Bearer token sent) at 100 and 500 connections, against Tonearm and
//    against nginx serving the very same files from the same folder (one worker process, as
//    Tonearm is one process; sendfile on; `--nginx-workers` to change), in ROUNDS rounds that
//    alternate between the two (a disturbance of this shared machine then falls on both; single
//    10 s runs gave ratios from 0.70× to 1.17× for the same build). A third server in each round
//    is the floor (floor-server.ts): node:http with the same serveFile and nothing else, which
//    tells the gateway's own cost per request from Node's (no sendfile in Node). Two workloads: "streams",
//    open-ended ranges from a random offset (a listener seeking, then the player reading to the
//    end as fast as the connection allows: the target's workload, ≥ 0.7× nginx's bytes per
//    second), and "chunks", fixed RANGE_KB ranges (players fetching piecewise; there the cost per
//    request dominates, so it is reported beside). No errors allowed at 500 connections. Before
//    the load, a few ranges of every file are compared byte for byte between the two servers.
//  - RSS of the node after each phase, and its peak.
// The node runs as a child process with the services streaming needs (no pipeline: its stage
// workers would take CPU from the measurement) and TRANSCODE_MAX left at its default. The audio
// is generated with ffmpeg (320 kbps MP3 of a tone and pink noise, so transcodes have work to do).
//
//   npx tsx bench/stream/run.ts [--files 10] [--seconds 120] [--duration 6] [--rounds 3] [--range-kb 256]
//                               [--ttfb 300] [--transcodes 40] [--nginx-workers 1] [--compiled]
//                               [--record] [--note "text"]
// --compiled runs the node from dist/ (build it first with `npm run build`) instead of tsx, as
// `npm start` and the container do; `npm run bench:stream` builds and passes it.
// --record appends the figures to bench/RESULTS.md.
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, processMemory, startNodeProcess, stopAllNodes, type NodeProcess } from "../lib/node-process.js";
import { appendResults, machine, type Row } from "../lib/results-md.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const RESULTS_FILE = path.join(ROOT, "bench", "RESULTS.md");
const NGINX = fs.existsSync("/usr/sbin/nginx") ? "/usr/sbin/nginx" : "nginx";
const TARGETS = { cachedP95: 10, transcodeP95: 300, throughputRatio: 0.7 };

interface Options {
  files: number;
  seconds: number;
  duration: number;
  rounds: number;
  rangeKb: number;
  ttfb: number;
  transcodes: number;
  nginxWorkers: number;
  compiled: boolean;
  record: boolean;
  note?: string;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { files: 10, seconds: 120, duration: 6, rounds: 3, rangeKb: 256, ttfb: 300, transcodes: 40, nginxWorkers: 1, compiled: false, record: false };
  const num = (flag: string, raw: string | undefined) => {
    const v = Number(raw);
    if (!Number.isFinite(v) || v <= 0) throw new Error(`${flag} needs a positive number, got "${raw}"`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split("=", 2) as [string, string | undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case "--files": o.files = Math.floor(num(flag, value())); break;
      case "--seconds": o.seconds = num(flag, value()); break;
      case "--duration": o.duration = num(flag, value()); break;
      case "--rounds": o.rounds = Math.floor(num(flag, value())); break;
      case "--range-kb": o.rangeKb = Math.floor(num(flag, value())); break;
      case "--ttfb": o.ttfb = Math.floor(num(flag, value())); break;
      case "--transcodes": o.transcodes = Math.floor(num(flag, value())); break;
      case "--nginx-workers": o.nginxWorkers = Math.floor(num(flag, value())); break;
      case "--compiled": o.compiled = true; break;
      case "--record": o.record = true; break;
      case "--note": o.note = value(); break;
      default: throw new Error(`unknown option ${argv[i]} (see the comment at the top of bench/stream/run.ts)`);
    }
  }
  return o;
}

const log = (msg: string) => console.log(msg);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tonearm-bench-stream-"));
// nginx started as root runs its workers as "nobody": they must be able to walk into the folder.
fs.chmodSync(tmp, 0o755);
let nginx: ChildProcess | null = null;
let floor: ChildProcess | null = null;

async function cleanup(): Promise<void> {
  nginx?.kill("SIGQUIT");
  floor?.kill("SIGTERM");
  await stopAllNodes();
  fs.rmSync(tmp, { recursive: true, force: true });
}

// ---- statistics ----

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function summary(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 50), p95: percentile(s, 95), p99: percentile(s, 99), max: s[s.length - 1] };
}

// ---- TTFB over one kept-alive connection ----

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

/** ms from sending the request to the first body byte; the rest is read (or, with `abandon`, dropped). */
function ttfb(url: string, headers: Record<string, string>, abandon = false): Promise<{ ms: number; status: number }> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const req = http.get(url, { agent: abandon ? false : agent, headers }, (res) => {
      let first: number | null = null;
      res.on("data", () => {
        if (first !== null) return;
        first = Number(process.hrtime.bigint() - start) / 1e6;
        if (abandon) {
          req.destroy();
          resolve({ ms: first, status: res.statusCode! });
        }
      });
      res.on("end", () => (first === null ? reject(new Error(`no body from ${url} (${res.statusCode})`)) : resolve({ ms: first, status: res.statusCode! })));
      res.on("error", (e) => (abandon && first !== null ? undefined : reject(e)));
    });
    req.on("error", (e) => (abandon ? undefined : reject(e)));
  });
}

// ---- wrk with random ranges ----

// No response() callback: with one, wrk keeps every body in Lua and becomes the bottleneck it
// measures. Statuses other than 2xx, socket errors and timeouts are counted from wrk's summary;
// the bytes themselves are checked before the load (checkSame).
const WRK_SCRIPT = String.raw`
local paths, sizes = {}, {}
for line in io.lines(os.getenv("WRK_FILES")) do
  local p, s = line:match("^(%S+) (%d+)$")
  paths[#paths + 1] = p; sizes[#sizes + 1] = tonumber(s)
end
local len = tonumber(os.getenv("WRK_RANGE"))
local token = os.getenv("WRK_TOKEN")
if token ~= nil and #token > 0 then wrk.headers["Authorization"] = "Bearer " .. token end
math.randomseed(12345)
request = function()
  local i = math.random(#paths)
  if len == 0 then
    wrk.headers["Range"] = "bytes=" .. math.random(0, sizes[i] - 1) .. "-"
  else
    local from = math.random(0, sizes[i] - len - 1)
    wrk.headers["Range"] = "bytes=" .. from .. "-" .. (from + len - 1)
  end
  return wrk.format("GET", paths[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK_RESULT %d %d %d %d %d %d %d %d\n", summary.requests, summary.duration, summary.bytes,
    e.status, e.connect + e.read + e.write, e.timeout, latency:percentile(50), latency:percentile(95)))
end
`;

interface LoadResult {
  requests: number;
  seconds: number;
  mbPerSec: number;
  reqPerSec: number;
  errors: number;
  p50: number;
  p95: number;
}

/** wrk for o.duration seconds at `connections`, each request a random file and a Range (`rangeBytes`, 0: open-ended from a random offset). */
async function load(base: string, files: Array<{ path: string; size: number }>, connections: number, rangeBytes: number, seconds: number, token = ""): Promise<LoadResult> {
  const list = path.join(tmp, `files-${Math.random().toString(36).slice(2)}.txt`);
  const script = path.join(tmp, "ranges.lua");
  fs.writeFileSync(list, files.map((f) => `${f.path} ${f.size}`).join("\n") + "\n");
  fs.writeFileSync(script, WRK_SCRIPT);
  const child = spawn("wrk", ["-t1", `-c${connections}`, `-d${seconds}s`, "--timeout", "20s", "-s", script, base], {
    env: { ...process.env, WRK_FILES: list, WRK_RANGE: String(rangeBytes), WRK_TOKEN: token },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const code = await new Promise<number | null>((r) => child.on("exit", r));
  const m = /WRK_RESULT ([\d ]+)/.exec(out);
  if (code !== 0 || !m) throw new Error(`wrk failed (exit ${code}):\n${out.slice(-2000)}`);
  const [requests, us, bytes, status, socket, timeouts, p50, p95] = m[1].trim().split(/\s+/).map(Number);
  const secs = us / 1e6;
  return { requests, seconds: secs, mbPerSec: bytes / 1024 / 1024 / secs, reqPerSec: requests / secs, errors: status + socket + timeouts, p50: p50 / 1000, p95: p95 / 1000 };
}

/** Rounds of one workload as one: bytes and requests over the total time, errors summed, the median round's latencies. */
function combine(rounds: LoadResult[]): LoadResult {
  const seconds = rounds.reduce((a, r) => a + r.seconds, 0);
  const median = (f: (r: LoadResult) => number) => [...rounds].map(f).sort((a, b) => a - b)[Math.floor(rounds.length / 2)];
  return {
    requests: rounds.reduce((a, r) => a + r.requests, 0),
    seconds,
    mbPerSec: rounds.reduce((a, r) => a + r.mbPerSec * r.seconds, 0) / seconds,
    reqPerSec: rounds.reduce((a, r) => a + r.requests, 0) / seconds,
    errors: rounds.reduce((a, r) => a + r.errors, 0),
    p50: median((r) => r.p50),
    p95: median((r) => r.p95),
  };
}

/** Tonearm and nginx answer the same ranges of every file with the same bytes (before timing them). */
async function checkSame(a: string, b: string, tonearmFiles: Array<{ path: string; size: number }>, nginxFiles: Array<{ path: string }>, token: string): Promise<void> {
  for (const [i, f] of tonearmFiles.entries()) {
    for (const range of ["bytes=0-99", `bytes=${Math.floor(f.size / 2)}-`, "bytes=-1000"]) {
      const x = await fetch(a + f.path, { headers: { authorization: `Bearer ${token}`, range } });
      const y = await fetch(b + nginxFiles[i].path, { headers: { range } });
      const [bx, by] = [Buffer.from(await x.arrayBuffer()), Buffer.from(await y.arrayBuffer())];
      if (x.status !== 206 || y.status !== 206 || !bx.equals(by)) throw new Error(`${f.path} ${range}: Tonearm ${x.status} ${bx.length} B, nginx ${y.status} ${by.length} B`);
    }
  }
}

// ---- setup ----

function makeAudio(o: Options): string[] {
  const dir = path.join(tmp, "audio");
  fs.mkdirSync(dir, { recursive: true });
  const out: string[] = [];
  for (let i = 0; i < o.files; i++) {
    const file = path.join(dir, `bench-${i}.mp3`);
    execFileSync("ffmpeg", [
      "-hide_banner", "-loglevel", "error", "-y",
      "-f", "lavfi", "-i", `sine=frequency=${220 + 30 * i}:duration=${o.seconds}`,
      "-f", "lavfi", "-i", `anoisesrc=d=${o.seconds}:c=pink:a=0.05:seed=${i}`,
      "-filter_complex", "[0][1]amix=inputs=2,aformat=channel_layouts=stereo", "-ar", "44100",
      "-c:a", "libmp3lame", "-b:a", "320k", "-metadata", `title=Bench ${i}`, "-metadata", "artist=Bench", file,
    ]);
    out.push(file);
  }
  return out;
}

function startNginx(root: string, port: number, workers: number): Promise<void> {
  const prefix = path.join(tmp, "nginx");
  fs.mkdirSync(prefix, { recursive: true });
  const conf = path.join(prefix, "nginx.conf");
  const t = (name: string) => path.join(prefix, name);
  fs.writeFileSync(conf, `worker_processes ${workers};
daemon off;
pid ${t("nginx.pid")};
error_log ${t("error.log")} warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  client_body_temp_path ${t("body")};
  proxy_temp_path ${t("proxy")};
  fastcgi_temp_path ${t("fastcgi")};
  uwsgi_temp_path ${t("uwsgi")};
  scgi_temp_path ${t("scgi")};
  types { audio/mpeg mp3; }
  server {
    listen 127.0.0.1:${port};
    root ${root};
    location / { }
  }
}
`);
  nginx = spawn(NGINX, ["-e", t("error.log"), "-p", prefix, "-c", conf], { stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 10_000;
    const poll = () => {
      const req = http.get(`http://127.0.0.1:${port}/`, (res) => {
        res.resume();
        resolve();
      });
      req.on("error", () => (Date.now() > deadline ? reject(new Error("nginx did not start: " + fs.readFileSync(t("error.log"), "utf8"))) : setTimeout(poll, 100)));
    };
    poll();
  });
}

/** bench/stream/floor-server.ts on `port`: node:http + serveFile and nothing else, from dist/ or through tsx like the node. */
function startFloor(root: string, port: number, compiled: boolean): Promise<void> {
  const args = compiled
    ? ["bench/stream/floor-server.ts", root, String(port), path.join(ROOT, "dist", "lib", "stream")]
    : ["bench/stream/floor-server.ts", root, String(port)];
  floor = spawn(process.execPath, ["--import", "tsx", ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  floor.stdout!.on("data", (d) => (out += d));
  floor.stderr!.on("data", (d) => (out += d));
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 20_000;
    const poll = () => (/floor server on/.test(out) ? resolve() : Date.now() > deadline ? reject(new Error(`floor server did not start:\n${out}`)) : setTimeout(poll, 100));
    poll();
  });
}

async function json(url: string, init: RequestInit = {}, token?: string): Promise<any> {
  const res = await fetch(url, { ...init, headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.headers ?? {}) } });
  const body = await res.json();
  if (!res.ok) throw new Error(`${url}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  if (spawnSync("wrk", ["--version"]).error) throw new Error("wrk is not installed (Debian package wrk)");
  if (spawnSync(NGINX, ["-v"]).error) throw new Error("nginx is not installed (Debian package nginx)");
  log(`bench/stream on ${machine()}`);
  log(`Generating ${o.files} × ${o.seconds} s MP3 (320 kbps) …`);
  const audio = makeAudio(o);
  const dataDir = path.join(tmp, "data");
  const node: NodeProcess = await startNodeProcess({
    args: o.compiled ? ["dist/bin/tonearm.js", "start"] : ["--import", "tsx", "bin/tonearm.ts", "start"],
    cwd: ROOT,
    env: {
      DATA_DIR: dataDir, LOG_LEVEL: "warn", SERVICES: "api,users,songs,playlists,ingest,media,stream,subsonic",
      LIBRARY_SCAN_ON_START: "false", LIBRARY_WATCH: "false", LOGIN_RATE_LIMIT: "0", ACCESS_TOKEN_TTL: "86400",
    },
    timeoutMs: 120_000,
    readyLine: /Tonearm node \S+ is up/,
  });
  const token: string = (await json(`${node.url}/api/auth/register`, { method: "POST", body: JSON.stringify({ username: "bench", password: "bench-password-1" }) })).accessToken;
  const songs: Array<{ id: number; mediaFile: string; size: number }> = [];
  for (const file of audio) {
    const r = await json(`${node.url}/api/ingest/path`, { method: "POST", body: JSON.stringify({ path: file }) }, token);
    const id: number = r.added[0].songId;
    const stored = fs.readdirSync(path.join(dataDir, "media"), { recursive: true }).map(String).find((f) => path.basename(f).startsWith(`${id}.`))!;
    songs.push({ id, mediaFile: stored, size: fs.statSync(path.join(dataDir, "media", stored)).size });
  }
  const mediaRoot = path.join(dataDir, "media");
  const nginxPort = await freePort();
  await startNginx(mediaRoot, nginxPort, o.nginxWorkers);
  const nginxUrl = `http://127.0.0.1:${nginxPort}`;
  const floorPort = await freePort();
  await startFloor(mediaRoot, floorPort, o.compiled);
  const floorUrl = `http://127.0.0.1:${floorPort}`;
  const auth = { authorization: `Bearer ${token}` };
  const rss: Record<string, number> = { idle: processMemory(node.pid).rss };
  const rows: Row[] = [];
  const ms = (v: number) => `${v.toFixed(2)} ms`;

  // TTFB: a range of a file on disk.
  const range = (size: number, i: number) => {
    const from = Math.floor(((i * 7919) % 1000) / 1000 * (size - 65536));
    return `bytes=${from}-${from + 65535}`;
  };
  for (let i = 0; i < 30; i++) await ttfb(`${node.url}/api/songs/${songs[i % songs.length].id}/stream`, { ...auth, range: range(songs[0].size, i) });
  const disk: number[] = [];
  const diskNginx: number[] = [];
  for (let i = 0; i < o.ttfb; i++) {
    const s = songs[i % songs.length];
    disk.push((await ttfb(`${node.url}/api/songs/${s.id}/stream`, { ...auth, range: range(s.size, i) })).ms);
    diskNginx.push((await ttfb(`${nginxUrl}/${s.mediaFile}`, { range: range(s.size, i) })).ms);
  }
  const d = summary(disk);
  const dn = summary(diskNginx);
  log(`TTFB, file on disk (Range 64 KiB, ${d.n} requests): p50 ${ms(d.p50)}, p95 ${ms(d.p95)}, p99 ${ms(d.p99)}  (nginx p50 ${ms(dn.p50)}, p95 ${ms(dn.p95)})`);
  rows.push({ figure: "TTFB file on disk p50", measured: ms(d.p50) });
  rows.push({ figure: "TTFB file on disk p95", measured: ms(d.p95), target: `< ${TARGETS.cachedP95} ms`, ratio: (d.p95 / TARGETS.cachedP95).toFixed(2), met: d.p95 < TARGETS.cachedP95 });
  rows.push({ figure: "TTFB nginx, same requests, p50 / p95", measured: `${ms(dn.p50)} / ${ms(dn.p95)}` });

  // TTFB: fresh transcodes (each a bit rate not cached yet), abandoned after the first byte.
  const fresh: number[] = [];
  for (let i = 0; i < o.transcodes; i++) {
    const s = songs[i % songs.length];
    const kbps = 32 + Math.floor(i / songs.length); // opus at 32, 33, … kbps: never in the cache
    const r = await ttfb(`${node.url}/api/songs/${s.id}/stream?format=opus&maxBitRate=${kbps}`, auth, true);
    if (r.status !== 200) throw new Error(`transcode answered ${r.status}`);
    fresh.push(r.ms);
  }
  const t = summary(fresh);
  log(`TTFB, fresh transcode mp3 → opus (${t.n} requests): p50 ${ms(t.p50)}, p95 ${ms(t.p95)}, max ${ms(t.max)}`);
  rows.push({ figure: "TTFB fresh transcode (mp3 → Opus) p50", measured: ms(t.p50) });
  rows.push({ figure: "TTFB fresh transcode p95", measured: ms(t.p95), target: `< ${TARGETS.transcodeP95} ms`, ratio: (t.p95 / TARGETS.transcodeP95).toFixed(2), met: t.p95 < TARGETS.transcodeP95 });

  // TTFB: a finished transcode, from the cache.
  const warm = songs[0];
  const whole = await fetch(`${node.url}/api/songs/${warm.id}/stream?format=opus&maxBitRate=96`, { headers: auth });
  await whole.arrayBuffer();
  await new Promise((r) => setTimeout(r, 500));
  const cachedT: number[] = [];
  for (let i = 0; i < Math.min(o.ttfb, 200); i++) cachedT.push((await ttfb(`${node.url}/api/songs/${warm.id}/stream?format=opus&maxBitRate=96`, { ...auth, range: `bytes=${i * 1000}-${i * 1000 + 65535}` })).ms);
  const c = summary(cachedT);
  log(`TTFB, cached transcode (Range 64 KiB, ${c.n} requests): p50 ${ms(c.p50)}, p95 ${ms(c.p95)}`);
  rows.push({ figure: "TTFB cached transcode p50 / p95", measured: `${ms(c.p50)} / ${ms(c.p95)}`, target: `< ${TARGETS.cachedP95} ms`, met: c.p95 < TARGETS.cachedP95 });
  rss.afterTtfb = processMemory(node.pid).rss;

  // Throughput: concurrent Range streams, Tonearm then nginx on the same files. Two workloads:
  // "streams", each request an open-ended range from a random offset (a listener seeking, then
  // the player reading to the end — as fast as the connection goes), and "chunks", fixed ranges of
  // RANGE_KB (players that fetch piecewise; per-request cost dominates).
  const tonearmFiles = songs.map((s) => ({ path: `/api/songs/${s.id}/stream`, size: s.size }));
  const nginxFiles = songs.map((s) => ({ path: `/${s.mediaFile}`, size: s.size }));
  await checkSame(node.url, nginxUrl, tonearmFiles, nginxFiles, token);
  await load(node.url, tonearmFiles, 20, 0, 2, token); // warm-up
  const workloads: Array<[string, number]> = [["streams (open-ended)", 0], [`chunks (${o.rangeKb} KiB)`, o.rangeKb * 1024]];
  for (const conns of [100, 500]) {
    for (const [name, bytes] of workloads) {
      // Rounds alternate between the two servers, so a disturbance of the machine (another
      // process, the kernel's own work) falls on both rather than on whichever ran at that moment.
      const tas: LoadResult[] = [];
      const ngs: LoadResult[] = [];
      const fls: LoadResult[] = [];
      log(`${conns} ${name}:`);
      for (let round = 0; round < o.rounds; round++) {
        tas.push(await load(node.url, tonearmFiles, conns, bytes, o.duration, token));
        rss[`after${conns}`] = Math.max(rss[`after${conns}`] ?? 0, processMemory(node.pid).rss);
        ngs.push(await load(nginxUrl, nginxFiles, conns, bytes, o.duration));
        fls.push(await load(floorUrl, nginxFiles, conns, bytes, o.duration));
        log(`   round ${round + 1}: ${(tas[round].mbPerSec / ngs[round].mbPerSec).toFixed(2)}× nginx (Tonearm / nginx / node:http floor ${tas[round].mbPerSec.toFixed(0)} / ${ngs[round].mbPerSec.toFixed(0)} / ${fls[round].mbPerSec.toFixed(0)} MB/s)`);
      }
      const ta = combine(tas);
      const ng = combine(ngs);
      const fl = combine(fls);
      const ratio = ta.mbPerSec / ng.mbPerSec;
      const line = (who: string, r: LoadResult) => `${who} ${r.mbPerSec.toFixed(0).padStart(5)} MB/s ${r.reqPerSec.toFixed(0).padStart(5)} req/s  p50 ${ms(r.p50)}  p95 ${ms(r.p95)}  errors ${r.errors}`;
      log(`   ${line("Tonearm", ta)}`);
      log(`   ${line("nginx  ", ng)}   → ${ratio.toFixed(2)}× nginx`);
      log(`   ${line("floor  ", fl)}   → Tonearm ${(ta.mbPerSec / fl.mbPerSec).toFixed(2)}× node:http + serveFile, which is ${(fl.mbPerSec / ng.mbPerSec).toFixed(2)}× nginx`);
      const primary = bytes === 0;
      rows.push({ figure: `${conns} ${name}: Tonearm / nginx MB/s`, measured: `${ta.mbPerSec.toFixed(0)} / ${ng.mbPerSec.toFixed(0)}` });
      rows.push({ figure: `${conns} ${name}: floor (node:http + serveFile) MB/s, vs nginx`, measured: `${fl.mbPerSec.toFixed(0)}, ${(fl.mbPerSec / ng.mbPerSec).toFixed(2)}×` });
      rows.push({
        figure: `${conns} ${name}: throughput vs nginx`, measured: `${ratio.toFixed(2)}×`,
        ...(primary ? { target: `≥ ${TARGETS.throughputRatio}×`, met: ratio >= TARGETS.throughputRatio } : {}),
      });
      rows.push({ figure: `${conns} ${name}: errors (Tonearm / nginx)`, measured: `${ta.errors} / ${ng.errors}`, target: "0", met: ta.errors === 0 });
    }
  }
  const mem = processMemory(node.pid);
  const mbs = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;
  log(`RSS: idle ${mbs(rss.idle)}, after TTFB ${mbs(rss.afterTtfb)}, after 100 ${mbs(rss.after100)}, after 500 ${mbs(rss.after500)}, peak ${mbs(mem.peak)}`);
  rows.push({ figure: "Node RSS idle / after 500 streams / peak", measured: `${mbs(rss.idle)} / ${mbs(rss.after500)} / ${mbs(mem.peak)}` });

  log("");
  log("| Figure | Measured | Target | Met |");
  log("|---|---:|---:|:---:|");
  for (const r of rows) log(`| ${r.figure} | ${r.measured} | ${r.target ?? ""} | ${r.met === undefined ? "" : r.met ? "yes" : "no"} |`);
  if (o.record) {
    appendResults(RESULTS_FILE, {
      title: `bench/stream — ${new Date().toISOString().slice(0, 10)}`,
      command: `npx tsx bench/stream/run.ts ${process.argv.slice(2).join(" ")}`.trim(),
      notes: [
        `${o.files} MP3 files (320 kbps, ${o.seconds} s, ${(songs[0].size / 1024 / 1024).toFixed(1)} MB each); streams = open-ended ranges from a random offset, chunks = ${o.rangeKb} KiB ranges; wrk -t1, ${o.rounds} rounds of ${o.duration} s per server and workload, alternating; nginx ${o.nginxWorkers} worker(s), sendfile on.`,
        `Node from ${o.compiled ? "dist/ (compiled)" : "tsx"}; services api, users, songs, playlists, ingest, media, stream, subsonic.`,
        ...(o.note ? [o.note] : []),
      ],
      rows,
    });
    log(`Recorded in ${path.relative(ROOT, RESULTS_FILE)}.`);
  }
}

main().then(cleanup, async (err) => {
  console.error(err);
  await cleanup();
  process.exitCode = 1;
});
