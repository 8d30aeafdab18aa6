// Types for the one module of `natural` that match.ts loads. natural's own index.d.ts only
// describes the package root, and importing the root would load mongoose, redis and pg.
declare module "natural/lib/natural/distance/jaro-winkler_distance.js" {
  /** Jaro–Winkler similarity, 0 (nothing in common) … 1 (identical). */
  export default function JaroWinklerDistance(s1: string, s2: string, options?: { dj?: number; ignoreCase?: boolean }): number;
}
