// Which of two files of the same recording is the better one to keep: lossless over lossy; between
// lossy files, the higher bit rate weighted by how much a codec gets out of a bit (listening tests
// such as the Hydrogenaudio public multiformat tests put Opus, then AAC and Vorbis, ahead of MP3
// at equal rates); then the higher sample rate and more channels. Facts come from the probe stage.

export interface MediaFacts {
  codec: string | null;
  bitRate: number | null;
  sampleRate: number | null;
  channels: number | null;
}

const LOSSLESS = /^(flac|alac|ape|wavpack|tta|tak|mlp|truehd|pcm_.*|wav)$/i;
const EFFICIENCY: Record<string, number> = { opus: 1.6, aac: 1.3, vorbis: 1.25, mp3: 1, mp2: 0.7, wmav2: 0.9, ac3: 0.8 };

/** A number that orders files by quality (higher is better); unknown facts rank lowest. */
export function qualityScore(m: MediaFacts): number {
  const codec = (m.codec ?? "").toLowerCase();
  const rate = m.sampleRate ?? 0, channels = m.channels ?? 0;
  const tie = Math.min(rate, 192_000) / 1e3 + Math.min(channels, 8) / 100;
  if (LOSSLESS.test(codec)) return 1e7 + tie * 100;
  if (!m.bitRate) return tie / 1e3;
  return (m.bitRate / 1000) * (EFFICIENCY[codec] ?? 1) * 100 + tie;
}

/** True when `b` is clearly better than `a` (a tie keeps `a`). */
export function isBetter(b: MediaFacts, a: MediaFacts): boolean {
  return qualityScore(b) > qualityScore(a) * 1.05;
}
