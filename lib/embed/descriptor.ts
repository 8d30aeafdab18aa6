// A song's sonic descriptor: the fixed-length vector of measurements, taken from its audio
// features (lib/features/analyze.ts), that the embedding model (model.ts) places in the sonic
// space. No second decode: everything here was measured by the feature-extract stage.
//
// What goes in, after the content-based similarity literature — timbre as MFCC statistics
// (Logan & Salomon 2001; Aucouturier & Pachet 2002, "Music similarity measures: what's the use?";
// the mean/deviation summary rather than a mixture model, as in Pampalk 2006, "Computational
// models of music similarity and their application in music information retrieval", which also
// combines timbre with rhythm and spectral shape), tempo (on a log scale, with onset rate and beat
// strength), the groove (where in the beat the kick and the snare fall, and the backbeat: the onset
// patterns of Pohle et al. 2009, lib/features/rhythm.ts), spectral shape, dynamics and the mood
// estimates. The key itself is left out: two
// songs are not alike for sharing a tonic; the mode is kept, weighted by how sure the analysis was.
//
// Groups carry a share of the whole distance (model.ts weights each dimension by
// √(share / group size) after standardising), so the 26 MFCC numbers do not drown out tempo.
// Timbre leads (0.35), tempo and groove share 0.3, as timbre and rhythm were combined by Pampalk
// (2006) and Pohle et al. (2009); checked on bench/embed's generated styles.

/** Bump when the descriptor's contents change: every song is described again. */
export const DESCRIPTOR_VERSION = 2; // 2: the groove group (the rhythm pattern of lib/features/rhythm.ts)

export interface DescriptorGroup {
  name: string;
  /** Share of the squared distance this group may carry (shares sum to 1). */
  share: number;
  names: string[];
}

const MFCC = 13;
const POSITIONS = ["0", "1/4", "1/3", "1/2", "2/3", "3/4"];

export const GROUPS: readonly DescriptorGroup[] = [
  {
    name: "timbre",
    share: 0.35,
    names: [...Array.from({ length: MFCC }, (_, i) => `mfcc${i}.mean`), ...Array.from({ length: MFCC }, (_, i) => `mfcc${i}.std`)],
  },
  {
    name: "spectrum",
    share: 0.1,
    names: ["log2 centroid", "log2 rolloff", "flatness", "centroid variation", "rolloff variation", "flatness std"],
  },
  { name: "tempo", share: 0.15, names: ["log2 tempo", "tempo confidence", "log onset rate", "danceability"] },
  {
    name: "groove",
    share: 0.15,
    names: [...POSITIONS.map((p) => `low onsets at ${p}`), ...POSITIONS.map((p) => `mid onsets at ${p}`), "accent", "backbeat"],
  },
  { name: "dynamics", share: 0.15, names: ["loudness", "loudness range", "energy", "arousal"] },
  { name: "mood", share: 0.1, names: ["valence", "instrumental", "mode"] },
];

export const DESCRIPTOR_NAMES: readonly string[] = GROUPS.flatMap((g) => g.names);
export const DESCRIPTOR_SIZE = DESCRIPTOR_NAMES.length;

/** Per dimension, the weight that gives each group its share once every dimension has unit variance. */
export const DIMENSION_WEIGHTS: readonly number[] = GROUPS.flatMap((g) => g.names.map(() => Math.sqrt(g.share / g.names.length)));

/** Just the parts of the stored features JSON the descriptor reads. */
export interface FeaturesLike {
  tempo?: { bpm?: number; confidence?: number };
  key?: { mode?: string; confidence?: number };
  loudness?: { integratedLufs?: number; loudnessRangeLu?: number };
  energy?: number;
  danceability?: number;
  valence?: number;
  arousal?: number;
  instrumental?: number;
  onsetRate?: number;
  rhythm?: { low?: number[]; mid?: number[]; accent?: number; backbeat?: number } | null;
  spectral?: { centroidHz?: number; rolloffHz?: number; flatness?: number; centroidStd?: number; rolloffStd?: number; flatnessStd?: number };
  mfcc?: { mean?: number[]; std?: number[] };
}

const finite = (x: unknown): number => (typeof x === "number" && Number.isFinite(x) ? x : NaN);
const log2Pos = (x: unknown): number => {
  const v = finite(x);
  return v > 0 ? Math.log2(v) : NaN;
};
const ratio = (num: unknown, den: unknown): number => {
  const n = finite(num), d = finite(den);
  return d > 0 ? n / d : NaN;
};

/** A band's rhythm pattern (shares at the beat positions), or NaN for each when there is none. */
const pattern = (shares: number[] | undefined): number[] =>
  Array.isArray(shares) && shares.length === POSITIONS.length ? shares.map(finite) : POSITIONS.map(() => NaN);

/**
 * The descriptor of one song's features. Measurements the analysis could not make (no beat found,
 * silence) are NaN: the model fills them with the library's mean, so they neither attract nor repel.
 * Null when the features have no timbre at all (not a features record).
 */
export function describe(f: FeaturesLike): Float64Array | null {
  const mean = f.mfcc?.mean, std = f.mfcc?.std;
  if (!Array.isArray(mean) || !Array.isArray(std) || mean.length < MFCC || std.length < MFCC) return null;
  const s = f.spectral ?? {};
  const bpm = finite(f.tempo?.bpm);
  const lufs = finite(f.loudness?.integratedLufs);
  const silent = !(lufs > -70);
  const mode = f.key?.mode === "major" ? 1 : f.key?.mode === "minor" ? -1 : NaN;
  const values = [
    ...mean.slice(0, MFCC).map(finite),
    ...std.slice(0, MFCC).map(finite),
    log2Pos(s.centroidHz),
    log2Pos(s.rolloffHz),
    finite(s.flatness),
    ratio(s.centroidStd, s.centroidHz),
    ratio(s.rolloffStd, s.rolloffHz),
    finite(s.flatnessStd),
    bpm > 0 ? Math.log2(bpm) : NaN,
    bpm > 0 ? finite(f.tempo?.confidence) : NaN,
    Math.log1p(Math.max(0, finite(f.onsetRate))),
    finite(f.danceability),
    ...pattern(f.rhythm?.low),
    ...pattern(f.rhythm?.mid),
    finite(f.rhythm?.accent),
    finite(f.rhythm?.backbeat),
    silent ? NaN : lufs,
    silent ? NaN : finite(f.loudness?.loudnessRangeLu),
    finite(f.energy),
    finite(f.arousal),
    finite(f.valence),
    finite(f.instrumental),
    mode * (Number.isFinite(finite(f.key?.confidence)) ? Math.min(1, Math.max(0, finite(f.key?.confidence))) : 0.5),
  ];
  return Float64Array.from(values);
}

/** The mood coordinates of a song (valence: negative → positive, arousal: calm → excited, 0 … 1). */
export function moodOf(f: FeaturesLike): { valence: number | null; arousal: number | null } {
  const v = finite(f.valence), a = finite(f.arousal);
  return { valence: Number.isFinite(v) ? v : null, arousal: Number.isFinite(a) ? a : null };
}
