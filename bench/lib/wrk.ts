// Load from wrk (Debian package `wrk`), a C load generator: on a 2-core machine a JavaScript
// load generator takes CPU from the server it measures and inflates the latency it reports
// (autocannon reached about half of wrk's request rate against the same node here). wrk runs
// with one thread; each request takes the next path of a list written beforehand, and a Lua
// script reports exact percentiles (wrk's latency histogram has microsecond resolution), the
// status of every answer and, for search, how many answers were empty.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export interface WrkResult {
  requests: number;
  seconds: number;
  /** Latency in ms, over every answer. */
  latency: { count: number; mean: number; p50: number; p95: number; p99: number; max: number };
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  empty: number;
  failures: string[];
  /** CPU seconds wrk itself used. */
  cpuSeconds: number;
}

const SCRIPT = String.raw`
paths = {}
for line in io.lines(os.getenv("WRK_PATHS")) do paths[#paths + 1] = line end
local token = os.getenv("WRK_TOKEN")
if token ~= nil and #token > 0 then wrk.headers["authorization"] = "Bearer " .. token end
n = 0
ok = 0
empty = 0
failures = ""
request = function()
  n = n + 1
  return wrk.format("GET", paths[((n - 1) % #paths) + 1])
end
response = function(status, headers, body)
  if status == 200 then
    ok = ok + 1
    if string.find(body, '"rows":[]', 1, true) then empty = empty + 1 end
  elseif #failures < 1500 then
    failures = failures .. status .. " " .. string.sub(body, 1, 280):gsub("[\r\n|]", " ") .. "|"
  end
end
threads = {}
setup = function(thread) table.insert(threads, thread) end
done = function(summary, latency, requests)
  local okSum, emptySum, fails = 0, 0, ""
  for _, t in ipairs(threads) do
    okSum = okSum + t:get("ok"); emptySum = emptySum + t:get("empty"); fails = fails .. t:get("failures")
  end
  local e = summary.errors
  io.write(string.format("WRK_RESULT %d %d %d %d %d %d %d %.1f %d %d %d %d\n",
    summary.requests, summary.duration, okSum, emptySum, e.status, e.connect + e.read + e.write, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
  io.write("WRK_FAILURES " .. fails .. "\n")
end
`;

export function hasWrk(): boolean {
  return spawnSync("wrk", ["--version"], { encoding: "utf8" }).error === undefined;
}

function childCpuSeconds(): number {
  const stat = fs.readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[13]) + Number(fields[14])) / 100; // cutime + cstime of reaped children
}

export async function runWrk(url: string, paths: string[], opts: { token?: string; seconds: number; connections: number }): Promise<WrkResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tonearm-wrk-"));
  try {
    const pathsFile = path.join(dir, "paths.txt");
    const scriptFile = path.join(dir, "load.lua");
    fs.writeFileSync(pathsFile, paths.join("\n") + "\n");
    fs.writeFileSync(scriptFile, SCRIPT);
    const cpuBefore = childCpuSeconds();
    const child = spawn("wrk", ["-t1", `-c${opts.connections}`, `-d${opts.seconds}s`, "--timeout", "10s", "-s", scriptFile, url], {
      env: { ...process.env, WRK_PATHS: pathsFile, WRK_TOKEN: opts.token ?? "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    const line = /WRK_RESULT ([\d. ]+)/.exec(out);
    if (code !== 0 || !line) throw new Error(`wrk failed (exit ${code}):\n${out.slice(-2000)}`);
    const [requests, durationUs, ok, empty, status, socket, timeouts, mean, p50, p95, p99, max] = line[1].trim().split(/\s+/).map(Number);
    const failures = (/WRK_FAILURES (.*)/.exec(out)?.[1] ?? "").split("|").filter(Boolean).slice(0, 5);
    return {
      requests,
      seconds: durationUs / 1e6,
      latency: { count: requests, mean: mean / 1000, p50: p50 / 1000, p95: p95 / 1000, p99: p99 / 1000, max: max / 1000 },
      ok,
      non2xx: status,
      errors: socket,
      timeouts,
      empty,
      failures,
      cpuSeconds: childCpuSeconds() - cpuBefore,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
