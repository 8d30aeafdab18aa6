// Audio for tests, made on the spot with ffmpeg: tones with or without tags, in any container.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

export interface ToneOptions {
  seconds?: number;
  frequency?: number;
  tags?: Record<string, string>;
}

/** Writes a sine tone to `file` (format from the extension), tagged with `tags`. */
export function makeTone(file: string, { seconds = 2, frequency = 440, tags = {} }: ToneOptions = {}): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const meta = Object.entries(tags).flatMap(([k, v]) => ["-metadata", `${k}=${v}`]);
  execFileSync("ffmpeg", [
    "-hide_banner", "-loglevel", "error", "-y",
    "-f", "lavfi", "-i", `sine=frequency=${frequency}:duration=${seconds}`,
    "-ac", "1", "-ar", "22050", ...meta, file,
  ]);
}
