// Finds the library song a playlist entry stands for. Strongest evidence first: a shared
// source id (Spotify id, URL), then the ISRC, then the file path, and only then a fuzzy
// comparison of title and artist (Jaro–Winkler on normalised text, checked against duration).
// Titles are normalised so that release noise ("Remastered 2011", "Radio Edit", "feat. X")
// does not count, while version markers (live, remix, acoustic, instrumental…) must agree:
// a remix or a live take is a different recording from the studio original.
import JaroWinklerDistance from "natural/lib/natural/distance/jaro-winkler_distance.js";
import { normalizeIsrc, spotifyTrackId, type PlaylistEntry } from "./parse.js";

// natural's index runs dotenv on load; only the distance module is imported here, but keep any
// later import of the index quiet too.
process.env.DOTENV_CONFIG_QUIET ??= "true";

export interface CandidateSong {
  id: number;
  title: string;
  artist: string | null;
  album: string | null;
  durationMs: number | null;
  isrc: string | null;
  sources: Array<{ source: string; sourceId: string; url?: string | null }>;
  /** Library-relative path for local songs. */
  path?: string | null;
}

export type MatchMethod = "source" | "isrc" | "path" | "fuzzy";

export interface Match {
  songId: number;
  method: MatchMethod;
  /** 0..1: 1 for source and ISRC matches. */
  score: number;
}

/**
 * Default fuzzy threshold. With both artists known the score is 0.6·title + 0.4·artist, +0.05
 * when both durations are known and within 3 s (capped at 1). The floors below decide what may
 * match at all; 0.9 is what the weakest pair that clears both floors scores (0.6·0.92 +
 * 0.4·0.88 ≈ 0.90), so at the default every pair past the floors is accepted and a caller who
 * raises the threshold asks for closer agreement. Measured on real titles: a typo or a dropped
 * apostrophe scores 0.97–1 ("Smells Like Teen Spirt" 0.99), different songs sharing words stay
 * below the title floor ("Let It Be"/"Let It Go" 0.79, "Wonderwall"/"Wonderful" 0.90,
 * "Paranoid Android"/"Paranoid" 0.83). A plural or one-letter change in a single-word title
 * still passes ("Yesterday"/"Yesterdays" 0.98): there the artist and the duration decide.
 * Without an artist on either side the score is 0.85·title (+0.05): the title must be identical
 * after normalisation and the durations agree within 3 s ("Intro" alone proves nothing).
 */
export const DEFAULT_THRESHOLD = 0.9;
/** Below this title similarity nothing matches, whatever the artist. */
const TITLE_FLOOR = 0.92;
/** Below this artist similarity nothing matches ("Pink" is not "Pink Floyd": 0.82). */
const ARTIST_FLOOR = 0.88;
/** With the artist unknown on either side the title alone must be near-identical. */
const TITLE_ONLY_FLOOR = 0.97;
const DURATION_REJECT_MS = 10_000;
const DURATION_BOOST_MS = 3_000;

const jw = (a: string, b: string) => (a && b ? JaroWinklerDistance(a, b) : 0);

/**
 * Jaro–Winkler over the whole string favours a shared beginning too much ("let it be" / "let it
 * go" ≈ 0.91), so it is averaged with the same measure word by word: each word's best partner on
 * the other side, both ways, counting a partner below 0.85 as none. Typos keep both halves high;
 * a different or missing word pulls the second half down.
 */
export function similarity(a: string, b: string): number {
  if (a === b) return a ? 1 : 0;
  if (a.replace(/ /g, "") === b.replace(/ /g, "")) return 0.98; // "radio head", "ac dc"
  const wa = a.split(" ");
  const wb = b.split(" ");
  const best = (x: string, ys: string[]) => {
    const v = Math.max(...ys.map((y) => jw(x, y)));
    return v >= 0.85 ? v : 0;
  };
  const cover = (xs: string[], ys: string[]) => xs.reduce((sum, x) => sum + best(x, ys), 0) / xs.length;
  return (jw(a, b) + (cover(wa, wb) + cover(wb, wa)) / 2) / 2;
}

function fold(s: string): string {
  return s.normalize("NFKD").replace(/\p{M}+/gu, "").toLowerCase().replace(/[’‘`´']/g, "");
}
const words = (s: string) => s.replace(/[^\p{L}\p{N}]+/gu, " ").trim().replace(/\s+/g, " ");

// ----------------------------------------------------------------------------- titles

/** Qualifier words that only say which release or master this is. */
const NOISE = new Set([
  "remaster", "remastered", "remasters", "digital", "digitally", "version", "mono", "stereo", "single",
  "album", "radio", "edit", "explicit", "clean", "deluxe", "edition", "bonus", "track", "anniversary",
  "original", "expanded", "special", "lp", "ep", "re", "recorded", "release", "hd", "hq", "audio",
  "official", "dirty", "censored", "uncensored", "mix", "master", "new", "reissue",
]);

/** Qualifier words that name a different recording, by kind. */
const MARKERS: Record<string, string> = {
  live: "live", concert: "live", session: "live", sessions: "live", unplugged: "acoustic", acoustic: "acoustic",
  remix: "remix", rmx: "remix", rework: "remix", bootleg: "remix", vip: "remix", dub: "remix", club: "remix",
  mashup: "remix", extended: "extended", instrumental: "instrumental", karaoke: "karaoke", acapella: "acapella",
  acappella: "acapella", cappella: "acapella", demo: "demo", cover: "cover", reprise: "reprise",
  orchestral: "orchestral", symphonic: "orchestral", piano: "piano", slowed: "slowed", sped: "sped",
  nightcore: "nightcore", rehearsal: "demo", outtake: "demo", alternate: "alternate", alt: "alternate",
};

export interface TitleParts {
  /** Words of the title with noise and version qualifiers removed, other brackets kept. */
  base: string;
  /** The title without any bracketed or dash-separated part at all. */
  core: string;
  /** Version kinds, sorted ("live", "remix"…). */
  markers: string[];
  /** The words of remix qualifiers ("alesso remix"), to tell remixes apart. */
  remix: string;
}

const FEAT = /\b(?:feat\.?|ft\.?|featuring)(?=\s|$)/;

export function analyzeTitle(title: string): TitleParts {
  const markers = new Set<string>();
  const remix: string[] = [];
  /** Records what one qualifier says; true when its words belong to the title itself. */
  const keepOne = (q: string): boolean => {
    const w = words(q);
    if (!w || FEAT.test(w) || /^with\s/.test(w) || /^from\s/.test(w)) return false; // credits, "From 'Top Gun'"
    const tokens = w.split(" ");
    const rest = tokens.filter((t) => !NOISE.has(t) && !/^\d{4}$/.test(t) && !/^\d+(st|nd|rd|th)$/.test(t));
    // A version word opens or closes the qualifier ("Live at Wembley", "Alesso Remix", "Acoustic
    // Version"); inside a longer phrase it is part of a name ("(Live Is Life)" is not).
    const ends = [rest[0], rest[rest.length - 1]];
    const kinds = [...new Set(ends.map((t) => MARKERS[t]).filter(Boolean))];
    if (/\btake \d+$/.test(w)) kinds.push("alternate"); // "Take 2"
    if (kinds.length || (tokens.includes("mix") && rest.length)) {
      // "Tiesto Mix" and "Club Mix" are remixes; a bare "Stereo Mix" or "Original Mix" is noise.
      const found = kinds.length ? kinds : ["remix"];
      for (const k of found) markers.add(k);
      if (found.includes("remix")) remix.push(w);
      return false;
    }
    return rest.length > 0; // "(I Can't Get No) Satisfaction": part of the name
  };
  /** "Acoustic; Live at MTV Unplugged", "Live / Remastered 2011": each piece on its own. */
  const keep = (q: string): string => q.split(/[;,/]/).filter(keepOne).join(" ");
  let s = fold(title).replace(/[–—]/g, "-");
  let core = s;
  // Bracketed parts, innermost first: "(feat. X)", "(Remastered 2011)", "[Live]".
  for (let guard = 0; guard < 5 && /[([{][^()[\]{}]*[)\]}]/.test(s); guard++) {
    core = core.replace(/[([{]([^()[\]{}]*)[)\]}]/g, " ");
    s = s.replace(/[([{]([^()[\]{}]*)[)\]}]/g, (_m, inner: string) => ` ${keep(inner)} `);
  }
  // " - 2011 Remaster", " - Live at Wembley": every part after the first " - ".
  const parts = s.split(/\s+-\s+/);
  s = [parts[0], ...parts.slice(1).map(keep)].join(" ");
  core = core.split(/\s+-\s+/)[0];
  // "Song feat. X" without brackets.
  const cut = (t: string) => {
    const f = FEAT.exec(t);
    return words(f ? t.slice(0, f.index) : t);
  };
  core = cut(core);
  const base = cut(s);
  return { base: base || core, core, markers: [...markers].sort(), remix: remix.join(" ") };
}

/**
 * Lower case, accents and punctuation removed, credits ("feat. X") and release noise
 * ("Remastered 2011", "Radio Edit", "Mono", "Deluxe Edition", "From 'Film'") dropped; version
 * kinds kept as trailing words: "Song 2 (Live at Glastonbury)" → "song 2 live".
 */
export function normalizeTitle(s: string): string {
  const t = analyzeTitle(s);
  return [t.base, ...t.markers].join(" ").trim();
}

// ----------------------------------------------------------------------------- artists

const ARTIST_SEPARATORS = /\s*(?:,|;|&|\+|\s\/\s|\sand\s|\sx\s|\svs\.?\s|\sversus\s|\swith\s|\sfeat\.?\s|\sft\.?\s|\sfeaturing\s)\s*/;

function artistNames(s: string): string[] {
  const names = fold(s).split(ARTIST_SEPARATORS)
    .map((n) => words(n).replace(/^the\s+/, ""))
    .filter(Boolean);
  return [...new Set(names)];
}

/** Lower case, accents removed, "the " dropped, one token per artist, sorted: "The Beatles" →
 *  "beatles"; "Simon & Garfunkel" and "Garfunkel and Simon" → "garfunkel simon". */
export function normalizeArtist(s: string): string {
  return artistNames(s).sort().join(" ");
}

/** How well two artist credits agree, 0..1. One credit may list more artists than the other
 *  ("Queen, David Bowie" vs "Queen"): the better-covered side decides. Order does not matter. */
function artistSimilarity(a: string, b: string): number {
  const la = artistNames(a);
  const lb = artistNames(b);
  if (!la.length || !lb.length) return 0;
  const cover = (xs: string[], ys: string[]) =>
    xs.reduce((sum, x) => sum + Math.max(...ys.map((y) => similarity(x, y))), 0) / xs.length;
  return Math.max(cover(la, lb), cover(lb, la), similarity(la.join(" "), lb.join(" ")));
}

// ----------------------------------------------------------------------------- matching

function normalizeUrl(u: string): string {
  return u.trim().replace(/^([a-z]+:\/\/)(www\.)?([^/]+)/i, (_m, scheme: string, _w, host: string) =>
    scheme.toLowerCase() + host.toLowerCase()).replace(/\/+$/, "");
}

const isUrl = (s: string) => /^[a-z][a-z0-9+.-]+:\/\//i.test(s) && !/^file:/i.test(s);

function pathSegments(p: string): string[] {
  let s = p.trim();
  if (/^file:/i.test(s)) {
    s = s.replace(/^file:\/\/[^/]*/i, "");
    try {
      s = decodeURIComponent(s);
    } catch { /* keep as written */ }
  }
  return s.split(/[\\/]+/).filter((x) => x && x !== ".").map((x) => x.normalize("NFC").toLowerCase());
}

function bySource(entry: PlaylistEntry, candidates: CandidateSong[]): CandidateSong | undefined {
  const url = entry.location && isUrl(entry.location) ? normalizeUrl(entry.location) : null;
  if (!entry.spotifyId && !url) return undefined;
  return candidates.find((c) => c.sources.some((s) =>
    (entry.spotifyId && ((s.source === "spotify" && spotifyTrackId(s.sourceId, true) === entry.spotifyId) ||
      spotifyTrackId(s.url) === entry.spotifyId)) ||
    (url && ((s.url && normalizeUrl(s.url) === url) || normalizeUrl(s.sourceId) === url))));
}

/** A file-name match must not contradict what the playlist says about the song. */
function plausible(entry: PlaylistEntry, c: CandidateSong): boolean {
  const gap = durationGap(entry.durationMs, c.durationMs);
  if (gap !== Infinity && gap > DURATION_REJECT_MS) return false;
  return !entry.artist || !c.artist || artistSimilarity(entry.artist, c.artist) >= ARTIST_FLOOR;
}

/** The candidate whose library path ends the entry's path over the most segments (file name at
 *  least); null when two candidates tie, e.g. two "01 Intro.mp3" matched by file name alone. */
function byPath(entry: PlaylistEntry, candidates: CandidateSong[]): Match | null {
  if (!entry.location || isUrl(entry.location)) return null;
  const want = pathSegments(entry.location);
  let best: { c: CandidateSong; n: number; of: number } | null = null;
  let tie = false;
  for (const c of candidates) {
    if (!c.path || !plausible(entry, c)) continue;
    const have = pathSegments(c.path);
    let n = 0;
    while (n < want.length && n < have.length && want[want.length - 1 - n] === have[have.length - 1 - n]) n++;
    if (n === 0) continue;
    if (!best || n > best.n) [best, tie] = [{ c, n, of: have.length }, false];
    else if (n === best.n) tie = true;
  }
  if (!best || tie) return null;
  // Whole library path found at the end of the playlist's path: certain; file name only: likely.
  return { songId: best.c.id, method: "path", score: best.n === best.of ? 1 : 0.7 + 0.3 * (best.n / best.of) };
}

const durationGap = (a: number | null, b: number | null) => (a != null && b != null ? Math.abs(a - b) : Infinity);

/** Fuzzy score of one candidate, or null when it must not match at all. */
function fuzzyScore(entry: PlaylistEntry, et: TitleParts, c: CandidateSong, threshold: number): number | null {
  const ct = analyzeTitle(c.title);
  if (et.markers.join() !== ct.markers.join()) return null; // live ≠ studio, remix ≠ original
  if (et.remix && ct.remix && similarity(et.remix, ct.remix) < 0.9) return null; // different remixers
  const digits = (t: TitleParts) => (t.core.match(/\d+/g) ?? []).join(" ");
  if (digits(et) !== digits(ct)) return null; // "Song 2" is not "Song 3"
  const title = Math.max(similarity(et.base, ct.base), et.core === ct.core ? 0.97 : 0);
  const gap = durationGap(entry.durationMs, c.durationMs);
  if (gap !== Infinity && gap > DURATION_REJECT_MS) return null;
  const boost = gap <= DURATION_BOOST_MS ? 0.05 : 0;
  let score: number;
  if (entry.artist && c.artist) {
    const artist = artistSimilarity(entry.artist, c.artist);
    if (title < TITLE_FLOOR || artist < ARTIST_FLOOR) return null;
    score = 0.6 * title + 0.4 * artist;
  } else {
    if (title < TITLE_ONLY_FLOOR) return null;
    score = 0.85 * title; // no artist to confirm: needs the duration to reach the default
  }
  score = Math.min(1, score + boost);
  return score >= threshold ? score : null;
}

/** The library song this entry stands for, or null. `candidates` are typically the results of
 *  a full-text search for searchTerms(entry) plus songs sharing its ISRC or source id. */
export function matchEntry(entry: PlaylistEntry, candidates: CandidateSong[], opts: { threshold?: number } = {}): Match | null {
  const closest = (cs: CandidateSong[]) =>
    cs.reduce((a, b) => (durationGap(entry.durationMs, b.durationMs) < durationGap(entry.durationMs, a.durationMs) ? b : a));

  const source = bySource(entry, candidates);
  if (source) return { songId: source.id, method: "source", score: 1 };

  const isrc = normalizeIsrc(entry.isrc);
  const sameIsrc = isrc ? candidates.filter((c) => normalizeIsrc(c.isrc) === isrc) : [];
  if (sameIsrc.length) return { songId: closest(sameIsrc).id, method: "isrc", score: 1 };

  const path = byPath(entry, candidates);
  if (path) return path;

  if (!entry.title) return null;
  const threshold = opts.threshold ?? DEFAULT_THRESHOLD;
  const et = analyzeTitle(entry.title);
  let best: { c: CandidateSong; score: number } | null = null;
  for (const c of candidates) {
    const score = fuzzyScore(entry, et, c, threshold);
    if (score === null) continue;
    const better = !best || score > best.score + 1e-9 ||
      (Math.abs(score - best.score) <= 1e-9 &&
        durationGap(entry.durationMs, c.durationMs) < durationGap(entry.durationMs, best.c.durationMs));
    if (better) best = { c, score };
  }
  return best ? { songId: best.c.id, method: "fuzzy", score: Math.round(best.score * 1000) / 1000 } : null;
}

/** Words for a full-text pre-selection: the title without qualifiers, then the first artist.
 *  Version words (live, remix) are left out so the search also returns the versions that
 *  matchEntry must then tell apart. Apostrophes split words as SQLite FTS5 does ("don t"). */
export function searchTerms(entry: PlaylistEntry): string {
  const ftsWords = (s: string) => s.normalize("NFKD").replace(/\p{M}+/gu, "").toLowerCase().split(/[^\p{L}\p{N}]+/u);
  const t = entry.title ? analyzeTitle(entry.title.replace(/[’']/g, " ")) : null;
  const title = t ? ftsWords(t.core || t.base) : [];
  const artist = entry.artist ? ftsWords(artistNames(entry.artist.replace(/[’']/g, " "))[0] ?? "") : [];
  return [...new Set([...title, ...artist].filter(Boolean))].join(" ");
}
