import { describe, expect, it } from "vitest";
import { boundedEditDistance, ftsString, normalize, tokenize, typoBudget } from "../../../../lib/search/text.js";

describe("search text", () => {
  it("normalises like FTS5 unicode61 with remove_diacritics", () => {
    expect(normalize("Café Ünïcödé")).toBe("cafe unicode");
    expect(tokenize("AC/DC — Back in Black (Live, 1991)")).toEqual(["ac", "dc", "back", "in", "black", "live", "1991"]);
    expect(tokenize("  ...  ")).toEqual([]);
  });

  it("counts edits, with a transposition as one", () => {
    expect(boundedEditDistance("beatles", "beatles", 2)).toBe(0);
    expect(boundedEditDistance("beatels", "beatles", 2)).toBe(1);
    expect(boundedEditDistance("debusy", "debussy", 2)).toBe(1);
    expect(boundedEditDistance("kitten", "sitting", 3)).toBe(3);
    expect(boundedEditDistance("abc", "", 5)).toBe(3);
  });

  it("gives up past the bound", () => {
    expect(boundedEditDistance("radiohead", "metallica", 2)).toBe(3);
    expect(boundedEditDistance("a", "abcdef", 2)).toBe(3);
  });

  it("allows more typos in longer words", () => {
    expect([3, 4, 7, 8, 12].map(typoBudget)).toEqual([0, 1, 1, 2, 2]);
  });

  it("quotes FTS5 strings so operators in user input stay text", () => {
    expect(ftsString('say "hi" OR NEAR')).toBe('"say ""hi"" OR NEAR"');
  });
});
