import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_THRESHOLD,
  matchEntry,
  normalizeArtist,
  normalizeTitle,
  searchTerms,
  type CandidateSong,
} from "../../../../../lib/ingest/playlists/match.js";
import { parsePlaylist, type PlaylistEntry } from "../../../../../lib/ingest/playlists/parse.js";

function entry(title: string | null, artist: string | null, more: Partial<PlaylistEntry> = {}): PlaylistEntry {
  return { position: 0, title, artist, album: null, durationMs: null, isrc: null, spotifyId: null, location: null, ...more };
}

let nextId = 1;
function song(title: string, artist: string | null, more: Partial<CandidateSong> = {}): CandidateSong {
  return { id: nextId++, title, artist, album: null, durationMs: null, isrc: null, sources: [], ...more };
}

/** The id of the matched song, or null. */
const pick = (e: PlaylistEntry, cs: CandidateSong[]) => matchEntry(e, cs)?.songId ?? null;

describe("normalisation", () => {
  it("drops release noise and credits from titles but keeps version kinds", () => {
    expect(normalizeTitle("Bohemian Rhapsody - Remastered 2011")).toBe("bohemian rhapsody");
    expect(normalizeTitle("Here Comes The Sun - 2019 Mix")).toBe("here comes the sun");
    expect(normalizeTitle("Strobe (Radio Edit)")).toBe("strobe");
    expect(normalizeTitle("Lose Yourself - From \"8 Mile\" Soundtrack")).toBe("lose yourself");
    expect(normalizeTitle("Somebody That I Used To Know (feat. Kimbra)")).toBe("somebody that i used to know");
    expect(normalizeTitle("Crazy In Love ft. JAY-Z")).toBe("crazy in love");
    expect(normalizeTitle("Déjà Vu [Deluxe Edition] [Explicit]")).toBe("deja vu");
    expect(normalizeTitle("Song 2 (Live at Glastonbury 1998)")).toBe("song 2 live");
    expect(normalizeTitle("Titanium (feat. Sia) [Alesso Remix]")).toBe("titanium remix");
    expect(normalizeTitle("Layla - Acoustic; Live at MTV Unplugged")).toBe("layla acoustic live");
    expect(normalizeTitle("(I Can't Get No) Satisfaction - Mono Version")).toBe("i cant get no satisfaction");
    // Version words inside a name are part of it; "Take 2" is an alternate take.
    expect(normalizeTitle("Country Roads (Take Me Home)")).toBe("country roads take me home");
    expect(normalizeTitle("Help! - Take 2")).toBe("help alternate");
  });

  it("folds artists: accents, leading 'the', separators, order", () => {
    expect(normalizeArtist("Beyoncé")).toBe(normalizeArtist("Beyonce"));
    expect(normalizeArtist("The Beatles")).toBe("beatles");
    expect(normalizeArtist("Simon & Garfunkel")).toBe(normalizeArtist("Garfunkel and Simon"));
    expect(normalizeArtist("Queen, David Bowie")).toBe(normalizeArtist("David Bowie & Queen"));
    expect(normalizeArtist("David Guetta feat. Sia")).toBe("david guetta sia");
    expect(normalizeArtist("Lil Nas X")).toBe("lil nas x");
  });

  it("gives full-text search words without qualifiers, first artist only", () => {
    expect(searchTerms(entry("Don't Stop Me Now - Remastered 2011", "Queen"))).toBe("don t stop me now queen");
    expect(searchTerms(entry("Under Pressure (Live)", "Queen, David Bowie"))).toBe("under pressure queen");
    expect(searchTerms(entry("Halo", "Beyoncé"))).toBe("halo beyonce");
    expect(searchTerms(entry(null, null, { location: "/x.mp3" }))).toBe("");
  });
});

describe("fuzzy matching", () => {
  const bohemian = song("Bohemian Rhapsody", "Queen", { durationMs: 354_000 });
  const library = [song("Killer Queen", "Queen"), bohemian, song("Bohemian Like You", "The Dandy Warhols")];

  it("matches a Spotify remaster title to the library's plain title", () => {
    const m = matchEntry(entry("Bohemian Rhapsody - Remastered 2011", "Queen", { durationMs: 354_320 }), library);
    expect(m).toEqual({ songId: bohemian.id, method: "fuzzy", score: 1 });
  });

  it("tolerates accents, a leading 'The', typos and artists in another order", () => {
    const halo = song("Halo", "Beyonce");
    expect(pick(entry("Halo", "Beyoncé"), [halo])).toBe(halo.id);
    const letItBe = song("Let It Be", "Beatles");
    expect(pick(entry("Let It Be", "The Beatles"), [letItBe])).toBe(letItBe.id);
    const spirit = song("Smells Like Teen Spirt", "Nirvana");
    expect(matchEntry(entry("Smells Like Teen Spirit", "Nirvana"), [spirit])?.score).toBeGreaterThan(0.95);
    const pressure = song("Under Pressure", "David Bowie & Queen");
    expect(pick(entry("Under Pressure", "Queen, David Bowie"), [pressure])).toBe(pressure.id);
    // The library credits only the main artist; the playlist puts the guest in the title.
    const gotye = song("Somebody That I Used to Know", "Gotye");
    expect(pick(entry("Somebody That I Used To Know (feat. Kimbra)", "Gotye, Kimbra"), [gotye])).toBe(gotye.id);
  });

  it("does not match a live take or a remix to the studio original, nor remixes by different people", () => {
    const song2 = song("Song 2", "Blur");
    const song2Live = song("Song 2 (Live)", "Blur");
    expect(pick(entry("Song 2", "Blur"), [song2Live])).toBeNull();
    expect(pick(entry("Song 2 - Live at Wembley", "Blur"), [song2, song2Live])).toBe(song2Live.id);
    expect(pick(entry("Song 2", "Blur"), [song2Live, song2])).toBe(song2.id);
    const titanium = song("Titanium", "David Guetta, Sia");
    expect(pick(entry("Titanium - Alesso Remix", "David Guetta"), [titanium])).toBeNull();
    expect(pick(entry("Titanium (Alesso Remix)", "David Guetta"), [song("Titanium - Nicky Romero Remix", "David Guetta")])).toBeNull();
    const alesso = song("Titanium (feat. Sia) [Alesso Remix]", "David Guetta");
    expect(pick(entry("Titanium - Alesso Remix", "David Guetta, Sia"), [titanium, alesso])).toBe(alesso.id);
    expect(pick(entry("Clocks", "Coldplay"), [song("Clocks (Acoustic)", "Coldplay")])).toBeNull();
  });

  it("does not match the same title by a different artist, or different songs sharing words", () => {
    expect(pick(entry("Hello", "Adele"), [song("Hello", "Lionel Richie")])).toBeNull();
    expect(pick(entry("Creep", "Radiohead"), [song("Creep", "TLC")])).toBeNull();
    expect(pick(entry("Let It Be", "The Beatles"), [song("Let It Go", "The Beatles")])).toBeNull();
    expect(pick(entry("Love Me Do", "The Beatles"), [song("Love Me Tender", "The Beatles")])).toBeNull();
    expect(pick(entry("Paranoid Android", "Radiohead"), [song("Paranoid", "Radiohead")])).toBeNull();
    expect(pick(entry("Wonderwall", "Oasis"), [song("Wonderful", "Oasis")])).toBeNull();
    expect(pick(entry("Song 2", "Blur"), [song("Song 3", "Blur")])).toBeNull();
    expect(pick(entry("Get Lucky", "Pink"), [song("Get Lucky", "Pink Floyd")])).toBeNull();
  });

  it("rejects durations more than 10 s apart and prefers the closest duration among equals", () => {
    const e = entry("Bohemian Rhapsody", "Queen", { durationMs: 354_000 });
    expect(pick(e, [song("Bohemian Rhapsody", "Queen", { durationMs: 367_000 })])).toBeNull();
    const far = song("Bohemian Rhapsody", "Queen", { durationMs: 362_000 });
    const near = song("Bohemian Rhapsody", "Queen", { durationMs: 356_000 });
    const nearer = song("Bohemian Rhapsody", "Queen", { durationMs: 354_500 });
    expect(pick(e, [far, near, nearer])).toBe(nearer.id);
    // Within 3 s the duration raises the score; 8 s apart it neither helps nor rejects.
    const typo = entry("Bohemian Rhapsodie", "Queen");
    const sure = matchEntry({ ...typo, durationMs: 354_000 }, [near])!.score;
    const unsure = matchEntry({ ...typo, durationMs: 354_000 }, [far])!.score;
    expect(sure).toBeGreaterThan(unsure);
  });

  it("asks more of the title when either side has no artist", () => {
    const intro = song("Intro", "The xx", { durationMs: 127_000 });
    expect(pick(entry("Intro", null), [intro])).toBeNull(); // a bare title proves nothing
    expect(pick(entry("Intro", null, { durationMs: 128_000 }), [intro])).toBe(intro.id);
    expect(pick(entry("Intro", "The xx"), [song("Intro", null, { durationMs: 127_000 })])).toBeNull();
    expect(pick(entry("Intr", null, { durationMs: 127_000 }), [intro])).toBeNull();
    expect(matchEntry(entry("Intro", null, { durationMs: 128_000 }), [intro])!.score).toBeLessThan(
      matchEntry(entry("Intro", "The xx", { durationMs: 128_000 }), [intro])!.score);
  });

  it("lets a caller demand a closer match", () => {
    const e = entry("Smells Like Teen Spirit", "Nirvana");
    const c = [song("Smells Like Teen Spirt", "Nirvana")];
    expect(matchEntry(e, c, { threshold: DEFAULT_THRESHOLD })).not.toBeNull();
    expect(matchEntry(e, c, { threshold: 0.999 })).toBeNull();
  });
});

describe("exact evidence before fuzzy", () => {
  it("matches a Spotify id to a song imported from Spotify, whatever the title says", () => {
    const fromSpotify = song("Bohemian Rhapsody (2011 mix)", "Queen",
      { sources: [{ source: "spotify", sourceId: "4u7EnebtmKWzUH433cf5Qv" }] });
    const other = song("Bohemian Rhapsody", "Queen");
    const e = entry("Bohemian Rhapsody - Remastered 2011", "Queen", { spotifyId: "4u7EnebtmKWzUH433cf5Qv" });
    expect(matchEntry(e, [other, fromSpotify])).toEqual({ songId: fromSpotify.id, method: "source", score: 1 });
  });

  it("matches a stream URL to a song's source URL", () => {
    const yt = song("Never Gonna Give You Up", "Rick Astley",
      { sources: [{ source: "youtube", sourceId: "dQw4w9WgXcQ", url: "https://www.youtube.com/watch?v=dQw4w9WgXcQ" }] });
    const e = entry(null, null, { location: "https://youtube.com/watch?v=dQw4w9WgXcQ" });
    expect(matchEntry(e, [yt])).toEqual({ songId: yt.id, method: "source", score: 1 });
  });

  it("matches on ISRC, with or without dashes, even across a remix-looking title", () => {
    const s = song("Under Pressure (Remastered)", "Queen & David Bowie", { isrc: "gb-um7-10-29605" });
    expect(matchEntry(entry("Under Pressure", "Queen", { isrc: "GBUM71029605" }), [song("Under Pressure", "Queen"), s]))
      .toEqual({ songId: s.id, method: "isrc", score: 1 });
  });

  it("matches a local path by its trailing segments, Windows or POSIX, any case", () => {
    const boxer = song("The Boxer", "Simon & Garfunkel", { path: "Simon & Garfunkel/Bridge over Troubled Water/01 The Boxer.flac" });
    const intro1 = song("Intro", "The xx", { path: "The xx/xx/01 Intro.flac" });
    const intro2 = song("Intro", "M83", { path: "M83/Hurry Up/01 Intro.flac" });
    const lib = [boxer, intro1, intro2];
    expect(matchEntry(entry(null, null, { location: "D:\\Musik\\simon & garfunkel\\Bridge Over Troubled Water\\01 The Boxer.FLAC" }), lib))
      .toEqual({ songId: boxer.id, method: "path", score: 1 });
    expect(matchEntry(entry(null, null, { location: "/media/usb/M83/Hurry Up/01 Intro.flac" }), lib)?.songId).toBe(intro2.id);
    // File name alone: two songs share it, so the path cannot decide.
    expect(matchEntry(entry(null, null, { location: "/tmp/01 Intro.flac" }), lib)).toBeNull();
    // File name alone with one owner: a likely match, scored below certain.
    const m = matchEntry(entry(null, null, { location: "file:///home/a/01%20The%20Boxer.flac" }), lib);
    expect(m?.songId).toBe(boxer.id);
    expect(m?.score).toBeLessThan(1);
    // ...unless the playlist names another artist for it.
    expect(matchEntry(entry("The Boxer", "Mumford & Sons", { location: "/tmp/01 The Boxer.flac" }), lib)).toBeNull();
  });
});

describe("dependencies", () => {
  it("loads only natural's Jaro–Winkler module, not its index (mongoose, redis, pg, dotenv)", () => {
    const loaded = Object.keys(createRequire(import.meta.url).cache).filter((p) => p.includes("/node_modules/natural/"));
    expect(loaded.map((p) => p.slice(p.indexOf("/natural/")))).toEqual(["/natural/lib/natural/distance/jaro-winkler_distance.js"]);
  });
});

describe("parsed playlists against a library", () => {
  it("matches an Exportify CSV against local songs", () => {
    const csv = [
      '"Track URI","Track Name","Artist Name(s)","Album Name","Duration (ms)","ISRC"',
      '"spotify:track:4u7EnebtmKWzUH433cf5Qv","Bohemian Rhapsody - Remastered 2011","Queen","A Night at the Opera","354320",""',
      '"spotify:track:0lYBSQXN6rCTvUZvg9S0lU","Under Pressure - Remastered 2011","Queen,David Bowie","Hot Space","248440",""',
      '"spotify:track:5ghIJDpPoe3CfHMGu71E6T","Smells Like Teen Spirit","Nirvana","Nevermind","301920",""',
      '"spotify:track:2takcwOaAZWiXQijPHIx7B","Time","Pink Floyd","The Dark Side of the Moon","413000",""',
    ].join("\n");
    const lib = [
      song("Bohemian Rhapsody", "Queen", { durationMs: 355_000 }),
      song("Under Pressure", "Queen", { durationMs: 248_000 }),
      song("Smells Like Teen Spirit (Live at Reading)", "Nirvana", { durationMs: 290_000 }),
      song("Time", "Hans Zimmer", { durationMs: 275_000 }),
    ];
    const got = parsePlaylist(csv, { fileName: "export.csv" }).entries.map((e) => pick(e, lib));
    expect(got).toEqual([lib[0].id, lib[1].id, null, null]);
  });
});
