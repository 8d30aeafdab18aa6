// Key names as people write them — "C#", "Db", "f# minor", "Am", "Bb major", "E♭m" — read into
// the one spelling Tonearm stores: a sharp-spelled tonic (C C# D D# E F F# G G# A A# B) and a
// mode ("major" | "minor") when one was given.

export const TONICS = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"] as const;
export type Tonic = (typeof TONICS)[number];

const LETTER: Record<string, number> = { c: 0, d: 2, e: 4, f: 5, g: 7, a: 9, b: 11 };

export interface KeyName {
  tonic: Tonic;
  mode: "major" | "minor" | null;
}

/** Parses a key name; null when it is not one. */
export function parseKeyName(input: string): KeyName | null {
  const m = /^\s*([a-g])\s*(#|♯|b|♭|sharp|flat)?\s*(m|min|minor|maj|major|M)?\s*$/i.exec(input.replace(/-/g, " "));
  if (!m) return null;
  let pc = LETTER[m[1].toLowerCase()];
  const acc = (m[2] ?? "").toLowerCase();
  if (acc === "#" || acc === "♯" || acc === "sharp") pc += 1;
  else if (acc === "b" || acc === "♭" || acc === "flat") pc -= 1;
  const q = m[3];
  const mode = !q ? null : q === "M" || /^maj/i.test(q) ? "major" : "minor";
  return { tonic: TONICS[(pc + 12) % 12], mode };
}
