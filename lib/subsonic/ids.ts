// Ids of the library as Subsonic clients browse it. Tonearm keeps songs; artists and albums are
// derived from them: an album is the songs sharing an album artist (the album_artist tag, else
// the artist) and an album title, compared without case and surrounding spaces; an artist is an
// album artist. Their ids are those keys themselves, base64url-encoded behind a prefix:
//   artist  ar-<base64url(artist key)>
//   album   al-<base64url(artist key + U+001F + album key)>
// so an id is stable for as long as the tags are (a retag is a new album, as with Navidrome's
// hashed ids), needs no table to keep in step with the songs, and turns back into the keys that
// two expression indexes (lib/db/migrations/0007-stream.ts) look up directly. Songs and playlists
// keep their numeric ids. Cover art ids: mf-<song>, al-…, ar-…, pl-<playlist>.
//
// ARTIST_KEY and ALBUM_KEY must stay exactly the expressions of those indexes.
export const ARTIST_KEY = "lower(trim(coalesce(s.album_artist, s.artist, '')))";
export const ALBUM_KEY = "lower(trim(coalesce(s.album, '')))";
/** A song's own (track) artist, as an artist key. */
export const TRACK_ARTIST_KEY = "lower(trim(coalesce(s.artist, '')))";

const SEP = "\u001f";

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64url");
function unb64(s: string): string | null {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) return null;
  const text = Buffer.from(s, "base64url").toString("utf8");
  return b64(text) === s ? text : null;
}

export function artistId(artistKey: string): string {
  return `ar-${b64(artistKey)}`;
}

export function albumId(artistKey: string, albumKey: string): string {
  return `al-${b64(artistKey + SEP + albumKey)}`;
}

export function parseArtistId(id: string): string | null {
  return id.startsWith("ar-") ? unb64(id.slice(3)) : null;
}

export function parseAlbumId(id: string): { artistKey: string; albumKey: string } | null {
  if (!id.startsWith("al-")) return null;
  const text = unb64(id.slice(3));
  if (text === null) return null;
  const at = text.indexOf(SEP);
  return at < 0 ? null : { artistKey: text.slice(0, at), albumKey: text.slice(at + 1) };
}

/** A song id: "123" (or "mf-123", as cover art ids name songs). */
export function parseSongId(id: string): number | null {
  const m = /^(?:mf-)?([1-9]\d{0,15})$/.exec(id);
  return m && Number.isSafeInteger(Number(m[1])) ? Number(m[1]) : null;
}

export type CoverRef = { kind: "song"; songId: number } | { kind: "album"; artistKey: string; albumKey: string } | { kind: "artist"; artistKey: string } | { kind: "playlist"; playlistId: number };

export function parseCoverId(id: string): CoverRef | null {
  const song = parseSongId(id);
  if (song !== null) return { kind: "song", songId: song };
  const album = parseAlbumId(id);
  if (album) return { kind: "album", ...album };
  const artist = parseArtistId(id);
  if (artist !== null) return { kind: "artist", artistKey: artist };
  const pl = /^pl-([1-9]\d{0,15})$/.exec(id);
  return pl ? { kind: "playlist", playlistId: Number(pl[1]) } : null;
}

/** The name shown for an empty key. */
export const UNKNOWN_ARTIST = "[Unknown Artist]";
export const UNKNOWN_ALBUM = "[Unknown Album]";

/** Articles ignored when indexing and sorting artists (getIndexes, getArtists). */
export const IGNORED_ARTICLES = ["The", "El", "La", "Los", "Las", "Le", "Les", "Die", "Das", "Der"];

/** The name without a leading ignored article ("The Beatles" → "Beatles"), for sorting and the index letter. */
export function sortName(name: string): string {
  for (const a of IGNORED_ARTICLES) {
    if (name.length > a.length + 1 && name.slice(0, a.length + 1).toLowerCase() === a.toLowerCase() + " ") return name.slice(a.length + 1).trim();
  }
  return name;
}

/** The index letter of an artist: its first letter (accents removed) upper-cased, else "#". */
export function indexLetter(name: string): string {
  const first = sortName(name).normalize("NFD").replace(/[\u0300-\u036f]/g, "").charAt(0).toUpperCase();
  return /^[A-Z]$/.test(first) ? first : "#";
}
