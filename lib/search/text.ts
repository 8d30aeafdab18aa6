// Text helpers for search: normalisation that matches SQLite FTS5's unicode61 tokenizer with
// remove_diacritics (lower case, accents stripped, split on anything not a letter or digit),
// and a bounded Damerau–Levenshtein distance (optimal string alignment) for typo tolerance.

export function normalize(text: string): string {
  return text.normalize("NFKD").replace(/\p{M}+/gu, "").toLowerCase();
}

export function tokenize(text: string): string[] {
  return normalize(text).split(/[^\p{L}\p{N}]+/u).filter(Boolean);
}

/**
 * Edit distance with adjacent transpositions counted as one edit ("teh" → "the"), giving up
 * as soon as it must exceed `max` (returns max + 1 then). O(len·(2·max+1)) with the band.
 */
export function boundedEditDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  if (a === b) return 0;
  const n = a.length;
  const m = b.length;
  let prevPrev = new Array<number>(m + 1).fill(0);
  let prev = new Array<number>(m + 1);
  let cur = new Array<number>(m + 1);
  for (let j = 0; j <= m; j++) prev[j] = j;
  for (let i = 1; i <= n; i++) {
    cur[0] = i;
    let rowMin = cur[0];
    const lo = Math.max(1, i - max);
    const hi = Math.min(m, i + max);
    if (lo > 1) cur[lo - 1] = max + 1;
    for (let j = lo; j <= hi; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      let v = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a.charCodeAt(i - 1) === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === b.charCodeAt(j - 1)) {
        v = Math.min(v, prevPrev[j - 2] + 1);
      }
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (hi < m) cur[hi + 1] = max + 1;
    if (rowMin > max) return max + 1;
    [prevPrev, prev, cur] = [prev, cur, prevPrev];
  }
  return Math.min(prev[m], max + 1);
}

/** How many typos a query word of this length may carry and still match. */
export function typoBudget(length: number): number {
  if (length < 4) return 0;
  if (length < 8) return 1;
  return 2;
}

/** An FTS5 string literal: double quotes, inner quotes doubled. */
export function ftsString(term: string): string {
  return `"${term.replace(/"/g, '""')}"`;
}
