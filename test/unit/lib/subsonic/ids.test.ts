// Derived artist and album ids: reversible, stable, and the SQL they stand for matches the indexes.
import fs from "node:fs";
import { describe, expect, it } from "vitest";
import {
  ALBUM_KEY, ARTIST_KEY, albumId, artistId, indexLetter, parseAlbumId, parseArtistId, parseCoverId, parseSongId, sortName,
} from "../../../../lib/subsonic/ids.js";

describe("ids", () => {
  it("artist and album ids turn back into their keys; anything else is null", () => {
    expect(parseArtistId(artistId("the beatles"))).toBe("the beatles");
    expect(parseArtistId(artistId(""))).toBe("");
    expect(parseAlbumId(albumId("björk", "homogenic"))).toEqual({ artistKey: "björk", albumKey: "homogenic" });
    expect(albumId("a", "b")).toBe(albumId("a", "b"));
    expect(parseAlbumId("al-!!")).toBeNull();
    expect(parseAlbumId(artistId("x"))).toBeNull();
    expect(parseAlbumId("al-" + Buffer.from("no separator").toString("base64url"))).toBeNull();
    expect(parseArtistId("ar-YQ=")).toBeNull(); // not the canonical spelling
  });

  it("song and cover ids", () => {
    expect(parseSongId("12")).toBe(12);
    expect(parseSongId("mf-12")).toBe(12);
    expect(parseSongId("012")).toBeNull();
    expect(parseSongId("al-x")).toBeNull();
    expect(parseCoverId("pl-3")).toEqual({ kind: "playlist", playlistId: 3 });
    expect(parseCoverId(albumId("a", "b"))).toEqual({ kind: "album", artistKey: "a", albumKey: "b" });
    expect(parseCoverId("what")).toBeNull();
  });

  it("the key expressions are those of the migration's indexes", () => {
    const migration = fs.readFileSync("lib/db/migrations/0007-stream.ts", "utf8");
    expect(migration).toContain(`(${ARTIST_KEY.replaceAll("s.", "")})`);
    expect(migration).toContain(`(${ALBUM_KEY.replaceAll("s.", "")})`);
  });

  it("articles are ignored for sorting and the index letter", () => {
    expect(sortName("The Beatles")).toBe("Beatles");
    expect(sortName("The")).toBe("The");
    expect(indexLetter("The Beatles")).toBe("B");
    expect(indexLetter("Émilie Simon")).toBe("E");
    expect(indexLetter("2Pac")).toBe("#");
  });
});
