// Child processes of the test process, as a listener of "no ffmpeg left running" would check.
import fs from "node:fs";

/** PIDs of this process's ffmpeg children (from /proc). */
export function ffmpegChildren(): number[] {
  return fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p)).flatMap((pid) => {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
      const [, comm, rest] = /^\d+ \((.*)\) (.*)$/s.exec(stat)!;
      return comm === "ffmpeg" && Number(rest.split(" ")[1]) === process.pid ? [Number(pid)] : [];
    } catch {
      return [];
    }
  });
}
