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

/** Embeds a small generated picture as the front cover of an mp3 (in place). */
export function addCover(file: string, color = "red"): void {
  const tmp = file + ".cover.mp3";
  execFileSync("ffmpeg", [
    "-hide_banner", "-loglevel", "error", "-y", "-i", file,
    "-f", "lavfi", "-i", `color=${color}:s=64x64:d=1`, "-frames:v", "1",
    "-map", "0:a", "-map", "1:v", "-c:a", "copy", "-c:v", "mjpeg", "-id3v2_version", "3",
    "-metadata:s:v", "title=Album cover", "-metadata:s:v", "comment=Cover (front)", tmp,
  ]);
  fs.renameSync(tmp, file);
}
