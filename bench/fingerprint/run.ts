// bench/fingerprint — the acoustic landmark fingerprint (lib/fingerprint/) on a generated library:
// how fast songs are fingerprinted (decode included), how big the index gets, how well clips are
// identified (clean, noisy, re-encoded), that audio not in the library is never matched, how fast a
// query is answered, and fpcalc (Chromaprint) on the same files as the peer for speed.
//
//   npx tsx bench/fingerprint/run.ts [--songs 64] [--outside 16] [--clips 60] [--negatives 200]
//                                    [--dedupe 10] [--seed 1] [--jobs 2] [--index sqlite|memory]
//                                    [--record] [--note "text for bench/RESULTS.md"]
//
// Nothing is written to bench/RESULTS.md unless --record is given.
//
// How it measures:
// 1. The library (library.ts): --songs distinct songs of 2–4 min (songs.ts: melodies, chords, bass,
//    drum kits, arpeggios, espeak-ng speech over a bed), as mp3/FLAC/Ogg/m4a at 44.1/48 kHz stereo,
//    and --outside songs made the same way but never indexed. Seeded, cached in
//    bench/.cache/fingerprint/. Not timed.
// 2. Fingerprinting: each library file in turn through decodePcm (ffmpeg → 11025 Hz mono f32) into a
//    LandmarkExtractor (INDEX_OPTIONS), as the fingerprint service does. CPU: this process's
//    utime + stime (node) and cutime + cstime (the ffmpeg children, reaped when decodePcm returns)
//    from /proc/self/stat, before and after the loop. Real-time factor per core = audio seconds /
//    CPU seconds, with the decode (node + ffmpeg) and without (process.cpuUsage() around the
//    extractor's push/finish only: the JS part).
// 3. The index (--index; index-backends.ts): rows, rows per hour of audio, and bytes per hour at an
//    assumed SQL row cost (ROW_BYTES; a store that measures itself reports its own figure).
// 4. Queries: --clips clips per condition and length (5 s, 10 s), from random songs at random
//    sample offsets of the decoded audio: clean; white and pink noise at +10 and 0 dB SNR (noise
//    RMS set from the clip's RMS); re-encoded to mp3 at 64 kbps (ffmpeg from the original file, cut
//    at the offset). Each is fingerprinted with QUERY_OPTIONS, looked up and matched (identify).
//    Right = the right song at an offset within ±0.2 s; wrong = another song or offset; none = no
//    match. Query time = lookup + match (wall), p50/p95 over the 10 s clips; fingerprinting the clip
//    is reported apart.
// 5. False positives: --negatives clips (5 s and 10 s, half of them with noise) of the outside
//    songs, plus 10 s of pure white and pink noise: any match is a false positive.
// 6. Dedupe: --dedupe library songs re-encoded whole (mp3 64 kbps, 4 dB quieter, the first 0.5 s
//    cut) must classify "same" against their original; every outside song whole must find
//    nothing ("same" or "related" is a false dedupe).
// 7. The peer: `fpcalc -raw -length 0` on every library file, one at a time; its CPU (reaped child)
//    and wall. fpcalc 1.5.1 exits with status 3 at the end of some files after printing the
//    fingerprint; that counts as done when the fingerprint is there.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { decodePcm, decodePcmAll } from "../../lib/media/pcm.js";
import { FP_SAMPLE_RATE, FRAME_SEC, INDEX_OPTIONS, LandmarkExtractor, QUERY_OPTIONS, type Fingerprint } from "../../lib/fingerprint/landmarks.js";
import { MIN_CONFIDENCE, NOISE_FLOOR, compareWhole, identify } from "../../lib/fingerprint/match.js";
import { Rng } from "../lib/prng.js";
import { appendResults, machine, type Row } from "../lib/results-md.js";
import { BACKENDS, type BenchIndex } from "./index-backends.js";
import { ensureLibrary, type Library, type SongFile } from "./library.js";
import { addNoise, ffmpeg, noise } from "./songs.js";
import { eachFlag, wholeNumber } from "../lib/args.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const RESULTS_FILE = path.join(ROOT, "bench", "RESULTS.md");
const CACHE_DIR = path.join(ROOT, "bench", ".cache", "fingerprint");
/** Assumed bytes a row costs in SQLite (WITHOUT ROWID table keyed (hash, song_id, t)), until measured. */
const ROW_BYTES = 13;
const OFFSET_TOLERANCE_SEC = 0.2;

interface Options {
  songs: number;
  outside: number;
  clips: number;
  negatives: number;
  dedupe: number;
  seed: number;
  jobs: number;
  index: string;
  record: boolean;
  note?: string;
}

function parseArgs(argv: string[]): Options {
  const opts: Options = { songs: 64, outside: 16, clips: 60, negatives: 200, dedupe: 10, seed: 1, jobs: Math.min(2, os.cpus().length), index: "sqlite", record: false };
  const int = wholeNumber;
  eachFlag(argv, (flag, value, arg) => {
    switch (flag) {
      case "--songs": opts.songs = int(flag, value(), 2); break;
      case "--outside": opts.outside = int(flag, value(), 1); break;
      case "--clips": opts.clips = int(flag, value(), 1); break;
      case "--negatives": opts.negatives = int(flag, value(), 0); break;
      case "--dedupe": opts.dedupe = int(flag, value(), 0); break;
      case "--seed": opts.seed = int(flag, value(), 0); break;
      case "--jobs": opts.jobs = int(flag, value(), 1); break;
      case "--index": opts.index = value(); break;
      case "--record": opts.record = true; break;
      case "--note": opts.note = value(); break;
      default: throw new Error(`unknown option ${arg} (see the comment at the top of bench/fingerprint/run.ts)`);
    }
  });
  if (!BACKENDS[opts.index]) throw new Error(`--index ${opts.index}: known indexes are ${Object.keys(BACKENDS).join(", ")}`);
  return opts;
}

// ---------------------------------------------------------------------------------------------
// Helpers

const log = (msg: string) => console.log(msg);
const tempDirs = new Set<string>();

/** CPU of this process and of its reaped children, in ms, from /proc/self/stat (fields 14–17). */
function cpuMs(): { own: number; children: number } {
  const stat = fs.readFileSync("/proc/self/stat", "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ").map(Number);
  const tick = 1000 / 100; // USER_HZ is 100 on Linux
  return { own: (f[11] + f[12]) * tick, children: (f[13] + f[14]) * tick };
}

/** CPU ms of this thread's process since `from` (process.cpuUsage: µs, user + system). */
const usage = () => process.cpuUsage();
const usageMs = (from: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1000;
};

function quantile(values: number[], q: number): number {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

const pct = (n: number, d: number) => (d ? `${((100 * n) / d).toFixed(1)} %` : "—");
const fileOf = (lib: Library, f: SongFile) => path.join(lib.dir, f.rel);

// ---------------------------------------------------------------------------------------------
// 2. Fingerprinting the library

interface IndexRun {
  fps: Map<number, Fingerprint>;
  audioSec: number;
  wallMs: number;
  nodeMs: number;
  ffmpegMs: number;
  jsMs: number;
  hashes: number;
}

async function fingerprintLibrary(lib: Library, index: BenchIndex): Promise<IndexRun> {
  const fps = new Map<number, Fingerprint>();
  let audioSec = 0, jsMs = 0, hashes = 0;
  const cpu0 = cpuMs();
  const t0 = performance.now();
  for (const f of lib.songs) {
    const x = new LandmarkExtractor(INDEX_OPTIONS);
    for await (const block of decodePcm(fileOf(lib, f), { sampleRate: FP_SAMPLE_RATE })) {
      const u = usage();
      x.push(block);
      jsMs += usageMs(u);
    }
    const u = usage();
    const fp = x.finish();
    jsMs += usageMs(u);
    fps.set(f.id + 1, fp);
    audioSec += fp.durationSec;
    hashes += fp.hashes.length;
  }
  const wallMs = performance.now() - t0;
  const cpu1 = cpuMs();
  // Filling the index is not part of the fingerprinting figure.
  for (const [id, fp] of fps) await index.add(id, fp);
  return { fps, audioSec, wallMs, nodeMs: cpu1.own - cpu0.own, ffmpegMs: cpu1.children - cpu0.children, jsMs, hashes };
}

// ---------------------------------------------------------------------------------------------
// 4–5. Queries

type Condition = "clean" | "white+10" | "white0" | "pink+10" | "pink0" | "mp3-64k";
const CONDITIONS: Condition[] = ["clean", "white+10", "white0", "pink+10", "pink0", "mp3-64k"];
const LENGTHS = [10, 5];

interface ClipResult {
  /** The best candidate's score and confidence (0 when there is none). */
  bestScore: number;
  bestConfidence: number;
  right: boolean;
  wrong: boolean;
  fingerprintMs: number;
  queryMs: number;
  hashes: number;
  rows: number;
}

interface ClipPlan {
  song: SongFile;
  startSample: number;
  seconds: number;
  condition: Condition;
  noiseSeed: number;
}

/** The clip's samples at FP_SAMPLE_RATE: cut from the decoded song, noise added, or re-encoded. */
async function clipAudio(lib: Library, p: ClipPlan, decoded: Float32Array, tmp: string): Promise<Float32Array> {
  const len = Math.round(p.seconds * FP_SAMPLE_RATE);
  const clean = decoded.subarray(p.startSample, p.startSample + len);
  switch (p.condition) {
    case "clean": return clean;
    case "white+10": return addNoise(clean, "white", 10, new Rng(p.noiseSeed));
    case "white0": return addNoise(clean, "white", 0, new Rng(p.noiseSeed));
    case "pink+10": return addNoise(clean, "pink", 10, new Rng(p.noiseSeed));
    case "pink0": return addNoise(clean, "pink", 0, new Rng(p.noiseSeed));
    case "mp3-64k": {
      const out = path.join(tmp, "clip.mp3");
      await ffmpeg(["-ss", (p.startSample / FP_SAMPLE_RATE).toFixed(6), "-t", String(p.seconds), "-i", fileOf(lib, p.song),
        "-ac", "2", "-c:a", "libmp3lame", "-b:a", "64k", out]);
      return decodePcmAll(out, { sampleRate: FP_SAMPLE_RATE });
    }
  }
}

async function runQuery(index: BenchIndex, samples: Float32Array): Promise<{ fp: Fingerprint; res: ReturnType<typeof identify>; fingerprintMs: number; queryMs: number; rows: number }> {
  const t0 = performance.now();
  const x = new LandmarkExtractor(QUERY_OPTIONS);
  x.push(samples);
  const fp = x.finish();
  const t1 = performance.now();
  const rows = await index.lookup(fp.hashes);
  const res = identify(fp, rows);
  const t2 = performance.now();
  return { fp, res, fingerprintMs: t1 - t0, queryMs: t2 - t1, rows: rows.length };
}

/** Plans every clip first, then decodes each song once and runs its clips. */
async function runClips(lib: Library, index: BenchIndex, plans: ClipPlan[], songIdOf: (f: SongFile) => number | null, tmp: string,
  onResult: (p: ClipPlan, r: ClipResult & { matched: boolean }) => void): Promise<void> {
  const bySong = new Map<SongFile, ClipPlan[]>();
  for (const p of plans) bySong.set(p.song, [...(bySong.get(p.song) ?? []), p]);
  for (const [song, list] of bySong) {
    const decoded = await decodePcmAll(fileOf(lib, song), { sampleRate: FP_SAMPLE_RATE, maxSeconds: 3600 });
    for (const p of list) {
      const samples = await clipAudio(lib, p, decoded, tmp);
      const q = await runQuery(index, samples);
      const m = q.res.match;
      const expected = songIdOf(song);
      const right = !!m && expected !== null && m.songId === expected && Math.abs(m.offsetSec - p.startSample / FP_SAMPLE_RATE) <= OFFSET_TOLERANCE_SEC;
      const best = q.res.candidates[0];
      onResult(p, { bestScore: best?.score ?? 0, bestConfidence: best?.confidence ?? 0, right, wrong: !!m && !right, matched: !!m, fingerprintMs: q.fingerprintMs, queryMs: q.queryMs, hashes: q.fp.hashes.length, rows: q.rows });
    }
  }
}

function planClips(songs: SongFile[], count: number, seconds: number, condition: Condition, rng: Rng): ClipPlan[] {
  return Array.from({ length: count }, () => {
    const song = rng.pick(songs);
    const total = Math.floor(song.spec.seconds * FP_SAMPLE_RATE);
    const len = Math.round(seconds * FP_SAMPLE_RATE);
    return { song, startSample: rng.int(0, Math.max(0, total - len - FP_SAMPLE_RATE)), seconds, condition, noiseSeed: rng.int(1, 2 ** 30) };
  });
}

// ---------------------------------------------------------------------------------------------
// 7. fpcalc

function runFpcalc(file: string): Promise<{ ok: boolean; wallMs: number; values: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn("fpcalc", ["-raw", "-length", "0", file], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr.resume();
    child.on("error", reject);
    child.on("close", (code) => {
      const m = /FINGERPRINT=([\d,]+)/.exec(out);
      resolve({ ok: !!m && (code === 0 || code === 3), wallMs: performance.now() - t0, values: m ? m[1].split(",").length : 0 });
    });
  });
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const args = process.argv.slice(2).map((a) => (/[\s"']/.test(a) ? JSON.stringify(a) : a));
  const command = ["npx tsx bench/fingerprint/run.ts", ...args].join(" ");
  log(`bench/fingerprint — ${machine()}`);
  log(`  ${command}`);
  const loadBefore = os.loadavg()[0];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tonearm-bench-fp-"));
  tempDirs.add(tmp);

  // 1. The library
  const lib = await ensureLibrary(CACHE_DIR, { songs: opts.songs, outside: opts.outside, seed: opts.seed, jobs: opts.jobs, log });
  const formats = new Map<string, number>();
  for (const f of lib.songs) formats.set(f.format, (formats.get(f.format) ?? 0) + 1);
  const styles = new Map<string, number>();
  for (const f of lib.songs) styles.set(f.spec.style, (styles.get(f.spec.style) ?? 0) + 1);
  const formatList = [...formats].map(([f, c]) => `${c} ${f}`).join(", ");
  const styleList = [...styles].map(([s, c]) => `${c} ${s}`).join(", ");
  log(`[library] ${lib.reused ? "reused" : "generated"} ${path.relative(ROOT, lib.dir)}: ${lib.songs.length} songs, ${(lib.audioSeconds / 3600).toFixed(2)} h, ` +
    `${(lib.bytes / 1024 ** 2).toFixed(0)} MB (${formatList}; ${styleList}); ${lib.outside.length} outside songs`);

  // 2–3. Fingerprint and index
  const index = await BACKENDS[opts.index]();
  log(`[index] fingerprinting ${lib.songs.length} songs through decodePcm into the ${index.name} index…`);
  const run = await fingerprintLibrary(lib, index);
  const hours = run.audioSec / 3600;
  const rows = await index.rows();
  const measuredBytes = await index.bytes();
  const rtfAll = run.audioSec / ((run.nodeMs + run.ffmpegMs) / 1000);
  const rtfJs = run.audioSec / (run.jsMs / 1000);
  const rtfDecode = run.audioSec / (run.ffmpegMs / 1000);
  log(`[index] ${run.hashes} hashes, ${rows} rows; ${(run.wallMs / 1000).toFixed(1)} s wall, node ${(run.nodeMs / 1000).toFixed(1)} s + ffmpeg ${(run.ffmpegMs / 1000).toFixed(1)} s CPU`);

  // 4. Queries
  const rng = new Rng(opts.seed * 7 + 3);
  const songIdOf = (f: SongFile) => (lib.songs.includes(f) ? f.id + 1 : null);
  type Tally = { right: number; wrong: number; none: number; n: number };
  const tallies = new Map<string, Tally>();
  const queryMs10: number[] = [], queryMsAll: number[] = [], fpMs10: number[] = [], rows10: number[] = [];
  const queryHashRate: number[] = [];
  const rightScores: number[] = [];
  const plans: ClipPlan[] = [];
  for (const seconds of LENGTHS) for (const c of CONDITIONS) plans.push(...planClips(lib.songs, opts.clips, seconds, c, rng));
  log(`[query] ${plans.length} clips (${opts.clips} per condition and length)…`);
  const tq = performance.now();
  await runClips(lib, index, plans, songIdOf, tmp, (p, r) => {
    const key = `${p.seconds}s ${p.condition}`;
    const t = tallies.get(key) ?? { right: 0, wrong: 0, none: 0, n: 0 };
    t.n++;
    if (r.right) t.right++, rightScores.push(r.bestScore);
    else if (r.wrong) t.wrong++;
    else t.none++;
    tallies.set(key, t);
    queryMsAll.push(r.queryMs);
    queryHashRate.push(r.hashes / p.seconds);
    if (p.seconds === 10) queryMs10.push(r.queryMs), fpMs10.push(r.fingerprintMs), rows10.push(r.rows);
  });
  log(`[query] done in ${((performance.now() - tq) / 1000).toFixed(1)} s`);

  // 5. Negatives
  let falsePositives = 0, negatives = 0, negScoreMax = 0, negConfMax = 0;
  const negScores: number[] = [];
  if (opts.negatives > 0) {
    const negPlans: ClipPlan[] = [];
    for (let i = 0; i < opts.negatives; i++) {
      const seconds = i % 2 ? 10 : 5;
      const condition: Condition = i % 4 < 2 ? "clean" : rng.pick(["white+10", "white0", "pink+10", "pink0"] as const);
      negPlans.push(...planClips(lib.outside, 1, seconds, condition, rng));
    }
    const tally = (matched: boolean, score: number, confidence: number) => {
      negatives++;
      if (matched) falsePositives++;
      negScores.push(score);
      negScoreMax = Math.max(negScoreMax, score);
      negConfMax = Math.max(negConfMax, confidence);
    };
    await runClips(lib, index, negPlans, () => null, tmp, (_p, r) => tally(r.matched, r.bestScore, r.bestConfidence));
    for (const kind of ["white", "pink"] as const) {
      const n = noise(kind, 10 * FP_SAMPLE_RATE, new Rng(opts.seed + kind.length)).map((v) => v * 0.1);
      const q = await runQuery(index, n);
      tally(!!q.res.match, q.res.candidates[0]?.score ?? 0, q.res.candidates[0]?.confidence ?? 0);
    }
  }
  log(`[negatives] ${negatives} clips of audio not in the library: ${falsePositives} matched`);

  // 6. Dedupe
  let sameOk = 0, sameN = 0, falseDedupe = 0, outsideN = 0;
  if (opts.dedupe > 0) {
    const framesOf = (id: number) => run.fps.get(id)?.frames;
    for (const f of lib.songs.slice(0, opts.dedupe)) {
      const out = path.join(tmp, "copy.mp3");
      await ffmpeg(["-ss", "0.5", "-i", fileOf(lib, f), "-af", "volume=-4dB", "-c:a", "libmp3lame", "-b:a", "64k", out]);
      const x = new LandmarkExtractor(INDEX_OPTIONS);
      for await (const b of decodePcm(out, { sampleRate: FP_SAMPLE_RATE })) x.push(b);
      const fp = x.finish();
      const verdicts = compareWhole(fp, await index.lookup(fp.hashes), framesOf);
      sameN++;
      if (verdicts[0]?.songId === f.id + 1 && verdicts[0].kind === "same") sameOk++;
      falseDedupe += verdicts.filter((v) => v.songId !== f.id + 1 && v.kind !== "none").length;
    }
    for (const f of lib.outside) {
      const x = new LandmarkExtractor(INDEX_OPTIONS);
      for await (const b of decodePcm(fileOf(lib, f), { sampleRate: FP_SAMPLE_RATE })) x.push(b);
      const fp = x.finish();
      outsideN++;
      falseDedupe += compareWhole(fp, await index.lookup(fp.hashes), framesOf).filter((v) => v.kind !== "none").length;
    }
    log(`[dedupe] ${sameOk}/${sameN} re-encoded copies "same"; ${falseDedupe} false same/related over ${sameN} copies and ${outsideN} outside songs`);
  }

  // 7. fpcalc
  log(`[fpcalc] fpcalc -raw -length 0 on the ${lib.songs.length} library files…`);
  const fc0 = cpuMs();
  let fcWall = 0, fcOk = 0;
  for (const f of lib.songs) {
    const r = await runFpcalc(fileOf(lib, f));
    fcWall += r.wallMs;
    if (r.ok) fcOk++;
  }
  const fcCpu = cpuMs().children - fc0.children;
  const rtfFpcalc = lib.audioSeconds / (fcCpu / 1000);
  const loadAfter = os.loadavg()[0];
  await index.close();

  // Figures
  const tally = (k: string) => tallies.get(k) ?? { right: 0, wrong: 0, none: 0, n: 0 };
  const acc = (k: string) => tally(k).right / Math.max(1, tally(k).n);
  const targets: Record<string, number> = { "10s clean": 0.98, "10s mp3-64k": 0.98, "10s white0": 0.9, "10s pink0": 0.9, "5s clean": 0.95 };
  const wrongTotal = [...tallies.values()].reduce((s, t) => s + t.wrong, 0);
  const rowsPerHour = rows / hours;
  const p50 = quantile(queryMs10, 0.5), p95 = quantile(queryMs10, 0.95);

  log("\n==================== bench/fingerprint summary ====================");
  log(`  library                  ${lib.songs.length} songs, ${(hours).toFixed(2)} h (${formatList}; ${styleList})`);
  log(`  index options            ${JSON.stringify(INDEX_OPTIONS)}`);
  log(`  query options            ${JSON.stringify(QUERY_OPTIONS)}`);
  log(`  fingerprint, with decode ${rtfAll.toFixed(0)}× real time per core   (node ${(run.nodeMs / 1000).toFixed(1)} s + ffmpeg ${(run.ffmpegMs / 1000).toFixed(1)} s CPU for ${(run.audioSec / 60).toFixed(0)} min; wall ${(run.wallMs / 1000).toFixed(1)} s)`);
  log(`  fingerprint, JS part     ${rtfJs.toFixed(0)}× real time   (extractor push/finish CPU ${(run.jsMs / 1000).toFixed(1)} s)`);
  log(`  ffmpeg decode alone      ${rtfDecode.toFixed(0)}× real time   (to 11025 Hz mono f32, as decodePcm runs it)`);
  log(`  fpcalc -raw (peer)       ${rtfFpcalc.toFixed(0)}× real time per core   (CPU ${(fcCpu / 1000).toFixed(1)} s, wall ${(fcWall / 1000).toFixed(1)} s; ${fcOk}/${lib.songs.length} ok)`);
  log(`  index                    ${rows} rows = ${(rowsPerHour / 1000).toFixed(0)} k rows/hour of audio (${(run.hashes / run.audioSec).toFixed(0)} hashes/s); ` +
    (measuredBytes !== null ? `${(measuredBytes / hours / 1024 ** 2).toFixed(1)} MB/hour measured` : `≈ ${((rowsPerHour * ROW_BYTES) / 1024 ** 2).toFixed(1)} MB/hour at ${ROW_BYTES} B/row (SQLite estimate)`));
  log(`  query hashes             ${quantile(queryHashRate, 0.5).toFixed(0)} hashes/s of clip (QUERY_OPTIONS); 10 s clip: ${quantile(rows10, 0.5)} rows looked up (p50)`);
  log("");
  log("  clips          right        wrong   none   target");
  for (const seconds of LENGTHS) for (const c of CONDITIONS) {
    const k = `${seconds}s ${c}`;
    const t = tally(k);
    const target = targets[k];
    log(`  ${k.padEnd(13)} ${`${t.right}/${t.n}`.padStart(7)} ${pct(t.right, t.n).padStart(8)} ${String(t.wrong).padStart(5)} ${String(t.none).padStart(6)}   ${target ? `≥ ${(target * 100).toFixed(0)} % ${acc(k) >= target ? "met" : "NOT MET"}` : ""}`);
  }
  log("");
  log(`  false positives          ${falsePositives} of ${negatives} clips not in the library${falsePositives ? "   ← MUST BE 0" : ""}; wrong song/offset among matches: ${wrongTotal}`);
  log(`  closest calls            best score of a clip not in the library: max ${negScoreMax.toFixed(1)}, p90 ${quantile(negScores, 0.9).toFixed(1)} (a match needs ≥ ${2 * NOISE_FLOOR}); ` +
    `highest confidence ${negConfMax.toFixed(2)} (needs ≥ ${MIN_CONFIDENCE}); right matches scored min ${quantile(rightScores, 0).toFixed(1)}, p5 ${quantile(rightScores, 0.05).toFixed(1)}`);
  log(`  query, 10 s clip         lookup + match p50 ${p50.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms (all clips p95 ${quantile(queryMsAll, 0.95).toFixed(1)} ms); fingerprinting the clip p50 ${quantile(fpMs10, 0.5).toFixed(1)} ms`);
  if (opts.dedupe > 0) log(`  dedupe                   ${sameOk}/${sameN} re-encoded copies "same"; ${falseDedupe} false "same"/"related" (copies and ${outsideN} outside songs)`);
  log(`  load average (1 min)     ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after, on ${os.cpus().length} cores`);
  log("====================================================================");

  if (opts.record) {
    const rowsOut: Row[] = [
      { figure: "library", measured: `${lib.songs.length} songs, ${hours.toFixed(2)} h (${formatList})` },
      { figure: "fingerprint speed incl. ffmpeg decode (× real time per core)", measured: `${rtfAll.toFixed(0)}×`, target: "≥ 300×", ratio: (300 / rtfAll).toFixed(2), met: rtfAll >= 300 },
      { figure: "fingerprint speed, JS part", measured: `${rtfJs.toFixed(0)}×`, target: "≥ 600×", ratio: (600 / rtfJs).toFixed(2), met: rtfJs >= 600 },
      { figure: "fpcalc -raw (peer), × real time per core", measured: `${rtfFpcalc.toFixed(0)}×` },
      { figure: "index rows per hour of audio", measured: `${(rowsPerHour / 1000).toFixed(0)} k (≈ ${((rowsPerHour * ROW_BYTES) / 1024 ** 2).toFixed(1)} MB/h at ${ROW_BYTES} B/row)` },
      ...Object.entries(targets).map(([k, target]) => ({ figure: `accuracy ${k}`, measured: pct(tally(k).right, tally(k).n), target: `≥ ${target * 100} %`, met: acc(k) >= target })),
      ...LENGTHS.flatMap((s) => CONDITIONS.filter((c) => !targets[`${s}s ${c}`]).map((c) => ({ figure: `accuracy ${s}s ${c}`, measured: pct(tally(`${s}s ${c}`).right, tally(`${s}s ${c}`).n) }))),
      { figure: "false positives (clips not in the library)", measured: `${falsePositives} / ${negatives}`, target: "0", met: falsePositives === 0 },
      { figure: "query lookup + match, 10 s clip, p50 / p95", measured: `${p50.toFixed(1)} / ${p95.toFixed(1)} ms`, target: "< 50 ms", ratio: (p95 / 50).toFixed(2), met: p95 < 50 },
      ...(opts.dedupe > 0 ? [{ figure: "dedupe: re-encoded copies same / false same-or-related", measured: `${sameOk}/${sameN} / ${falseDedupe}`, met: sameOk === sameN && falseDedupe === 0 }] : []),
    ];
    appendResults(RESULTS_FILE, {
      title: `bench/fingerprint — ${new Date().toISOString()}`,
      command,
      notes: [
        ...(opts.note ? [opts.note] : []),
        `Index: ${index.name}. Options: index ${JSON.stringify(INDEX_OPTIONS)}, query ${JSON.stringify(QUERY_OPTIONS)}.`,
        `Speed: audio seconds / CPU seconds of this process (utime + stime) and its reaped ffmpeg children (cutime + cstime), /proc/self/stat; JS part from process.cpuUsage() around the extractor only.`,
        `Clips: ${opts.clips} per condition and length at random sample offsets; right = right song and offset within ±${OFFSET_TOLERANCE_SEC} s.`,
        `Load average (1 min) ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after.`,
      ],
      rows: rowsOut,
    });
    log(`Appended to ${path.relative(process.cwd(), RESULTS_FILE)}`);
  } else {
    log("Not recorded in bench/RESULTS.md (add --record to append this run).");
  }
  if (falsePositives > 0) process.exitCode = 1;
}

function cleanup(): void {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

process.once("SIGINT", () => {
  console.error("\nInterrupted: removing temp folders…");
  cleanup();
  process.exit(130);
});

main()
  .then(cleanup)
  .catch((err) => {
    console.error(`bench/fingerprint failed: ${err instanceof Error ? err.stack ?? err.message : err}`);
    cleanup();
    process.exit(1);
  });
