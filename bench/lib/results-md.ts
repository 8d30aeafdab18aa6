// Appends a benchmark run to bench/RESULTS.md (created with a short preamble when missing).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export interface Row {
  figure: string;
  measured: string;
  target?: string;
  ratio?: string;
  met?: boolean;
}

export function machine(): string {
  const cpu = os.cpus()[0]?.model?.trim() ?? "unknown CPU";
  const gb = (os.totalmem() / 1024 ** 3).toFixed(1);
  return `${cpu}, ${os.cpus().length} cores, ${gb} GB RAM, Node ${process.version}, ${os.platform()} ${os.release()}`;
}

const PREAMBLE = `# Benchmark results

Runs of the scripts under \`bench/\`, newest last. Each section names its script, date, machine
and command; compare figures only between runs on the same machine. Ratio = measured / target
(below 1 meets the target).
`;

export function appendResults(file: string, section: { title: string; command: string; notes: string[]; rows: Row[] }): void {
  const lines = [
    "",
    `## ${section.title}`,
    "",
    `- Machine: ${machine()}`,
    `- Command: \`${section.command}\``,
    ...section.notes.map((n) => `- ${n}`),
    "",
    "| Figure | Measured | Target | Ratio | Met |",
    "|---|---:|---:|---:|:---:|",
    ...section.rows.map((r) => `| ${r.figure} | ${r.measured} | ${r.target ?? ""} | ${r.ratio ?? ""} | ${r.met === undefined ? "" : r.met ? "yes" : "**no**"} |`),
    "",
  ];
  fs.mkdirSync(path.dirname(file), { recursive: true });
  if (!fs.existsSync(file)) fs.writeFileSync(file, PREAMBLE);
  fs.appendFileSync(file, lines.join("\n"));
}
