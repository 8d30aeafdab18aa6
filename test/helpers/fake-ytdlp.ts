// A stand-in for yt-dlp for tests (YouTube is outside this machine), speaking its real CLI.
import fs from "node:fs";
import path from "node:path";

/**
 * A stand-in for yt-dlp (YouTube is outside this machine): an executable Node script that
 * parses the options Tonearm passes the way yt-dlp's option parser does (an unknown option is
 * "yt-dlp: error: no such option"), writes the audio to the -o template through a ".part" file,
 * prints progress through --progress-template and the info JSON through --print after_move:%()j.
 * With --dump-json (-j) it downloads nothing and prints the chosen format's info as yt-dlp does:
 * `url` (cfg.directUrl), `protocol`, `http_headers`, `ext`, `filesize` and the page's fields.
 */
export const FAKE_YTDLP = String.raw`#!/usr/bin/env node
const fs = require("fs");
const cfg = JSON.parse(fs.readFileSync(__filename + ".json", "utf8"));
const argv = process.argv.slice(2);
if (argv[0] === "--version") { process.stdout.write("2025.06.30\n"); process.exit(0); }
if (cfg.log) fs.writeFileSync(cfg.log, JSON.stringify(argv));
const flags = { "--ignore-config": 0, "--no-playlist": 0, "--no-mtime": 0, "--newline": 0, "--progress": 0, "--dump-json": 0, "-j": 0,
  "-f": 1, "--playlist-items": 1, "--max-filesize": 1, "--socket-timeout": 1, "--progress-template": 1, "--print": 1, "-o": 1 };
const WHEN = ["pre_process", "after_filter", "video", "before_dl", "post_process", "after_move", "after_video", "playlist"];
const opts = { print: {} }; let target = null;
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === "--") { target = argv[i + 1]; break; }
  if (!(a in flags)) { process.stderr.write("Usage: yt-dlp [OPTIONS] URL [URL...]\n\nyt-dlp: error: no such option: " + a + "\n"); process.exit(2); }
  const v = flags[a] ? argv[++i] : true;
  if (a === "--print") {
    const m = /^(\w+):(.*)$/s.exec(v);
    const when = m && WHEN.includes(m[1]) ? m[1] : "video";
    (opts.print[when] = opts.print[when] || []).push(m && WHEN.includes(m[1]) ? m[2] : v);
  } else opts[a] = v;
}
if (!target) { process.stderr.write("ERROR: You must provide at least one URL.\n"); process.exit(2); }
for (const line of cfg.stderr || []) process.stderr.write(line + "\n");
if (cfg.exit) process.exit(cfg.exit);

const data = cfg.audio ? fs.readFileSync(cfg.audio) : Buffer.from(cfg.body || "");
if (opts["--dump-json"] || opts["-j"]) {
  const url = cfg.directUrl || "https://rr1---sn-fake.googlevideo.com/videoplayback?itag=251";
  const info = Object.assign({}, cfg.info, { format_id: "251", ext: cfg.ext, url, protocol: cfg.protocol || url.split(":")[0],
    http_headers: cfg.httpHeaders || { "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) yt-dlp-test", "Accept": "*/*", "Accept-Language": "en-us,en;q=0.5" },
    filesize: data.length, acodec: "opus", vcodec: "none", epoch: 1750000000, _type: "video" });
  if (cfg.merged) info.requested_formats = [{ format_id: "137" }, { format_id: "140" }];
  process.stdout.write(JSON.stringify(info) + "\n");
  process.exit(0);
}
const fill = (tmpl, fields) => tmpl.replace(/%\(([^)]*)\)([sj])/g, (_, key, conv) => {
  if (key === "") return JSON.stringify(fields.__all);
  for (const k of key.split(",")) if (fields[k] !== undefined && fields[k] !== null) return String(fields[k]);
  return "NA";
});
for (const t of opts.print.before_dl || []) process.stdout.write(fill(t, { filesize: data.length }) + "\n");
if (opts["--max-filesize"] && data.length > Number(opts["--max-filesize"])) process.exit(0); // yt-dlp skips quietly
const out = opts["-o"].replace("%(ext)s", cfg.ext).replace(/%%/g, "%");
fs.writeFileSync(out + ".part", "");
const progress = (opts["--progress-template"] || "").replace(/^download:/, "");
const step = Math.ceil(data.length / 4);
let at = 0;
function next() {
  if (cfg.hang && at >= step) { if (cfg.pidFile) fs.writeFileSync(cfg.pidFile, String(process.pid)); setInterval(() => {}, 1000); return; }
  if (at < data.length) {
    fs.appendFileSync(out + ".part", data.subarray(at, at + step));
    at = Math.min(data.length, at + step);
    if (progress) process.stdout.write(fill(progress, { "progress.downloaded_bytes": at, "progress.total_bytes": data.length }) + "\n");
    return setTimeout(next, 5);
  }
  fs.renameSync(out + ".part", out);
  const info = Object.assign({}, cfg.info, { ext: cfg.ext, filepath: out, _filename: out, filename: out,
    requested_downloads: [{ filepath: out, ext: cfg.ext, filename: out }], epoch: 1750000000, _type: "video" });
  for (const t of opts.print.after_move || []) process.stdout.write(fill(t, { __all: info }) + "\n");
}
next();
`;

/** Writes an executable fake yt-dlp into `dir`/bin/`name`, configured by `cfg` (audio, ext, info, stderr, exit …). */
export function fakeYtDlp(dir: string, name: string, cfg: Record<string, unknown>): string {
  const bin = path.join(dir, "bin", name);
  fs.mkdirSync(path.dirname(bin), { recursive: true });
  fs.writeFileSync(bin, FAKE_YTDLP);
  fs.chmodSync(bin, 0o755);
  fs.writeFileSync(`${bin}.json`, JSON.stringify(cfg));
  return bin;
}

