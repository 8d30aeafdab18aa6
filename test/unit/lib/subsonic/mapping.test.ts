// Lyrics as OpenSubsonic structured lyrics, and the endpoint list the gateway routes.
import { describe, expect, it } from "vitest";
import { parseAligned, parseLrc, structuredLyrics } from "../../../../lib/subsonic/mapping.js";
import { BYTE_ENDPOINTS, DATA_ENDPOINTS } from "../../../../lib/subsonic/endpoints.js";
import { HANDLERS } from "../../../../services/subsonic/subsonic.service.js";

describe("lyrics", () => {
  it("LRC: times in ms, several tags per line, offset applied, sorted; plain text is null", () => {
    expect(parseLrc("[ar:Someone]\n[00:02.50]Two\n[00:01.00][00:03.00]One and three")).toEqual([
      { start: 1000, value: "One and three" }, { start: 2500, value: "Two" }, { start: 3000, value: "One and three" },
    ]);
    expect(parseLrc("[offset:500]\n[00:01.00]x")).toEqual([{ start: 500, value: "x" }]);
    expect(parseLrc("just words")).toBeNull();
  });

  it("aligned lyrics in the shapes the align stage may store", () => {
    expect(parseAligned([{ startMs: 10, text: "a" }])).toEqual([{ start: 10, value: "a" }]);
    expect(parseAligned({ lines: [{ start: 1.5, line: "b" }] })).toEqual([{ start: 1500, value: "b" }]);
    expect(parseAligned(JSON.stringify([{ time: 2, value: "c" }]))).toEqual([{ start: 2000, value: "c" }]);
    expect(parseAligned("not json")).toBeNull();
    expect(parseAligned([{ text: "no time" }])).toBeNull();
  });

  it("structured: synced first, then unsynced; nothing for a song without lyrics", () => {
    const out = structuredLyrics({ artist: "A", title: "T", lyrics: "[00:01.00]Hi", lyrics_aligned: null });
    expect(out.map((l) => l.synced)).toEqual([true, false]);
    expect(out[1].line).toEqual([{ value: "Hi" }]);
    expect(structuredLyrics({ artist: null, title: "T", lyrics: null, lyrics_aligned: null })).toEqual([]);
  });
});

describe("endpoints", () => {
  it("every data endpoint the gateway routes has a handler in the subsonic service", () => {
    expect(Object.keys(HANDLERS).filter((n) => n !== "coverSong").sort()).toEqual([...DATA_ENDPOINTS].sort());
    for (const b of BYTE_ENDPOINTS) expect(HANDLERS[b]).toBeUndefined();
  });
});
