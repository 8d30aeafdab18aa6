// A Tonearm node run as a child process (so a load generator never shares its event loop),
// with a free port, a health wait, RSS readings from /proc and a clean stop.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";

export interface NodeProcess {
  pid: number;
  url: string;
  child: ChildProcess;
  /** The last lines it printed (stdout and stderr), for error reports. */
  output(): string;
  stop(): Promise<void>;
}

const running = new Set<NodeProcess>();

/** Stops every node still running (for error and signal paths). */
export async function stopAllNodes(): Promise<void> {
  await Promise.all([...running].map((n) => n.stop()));
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface StartOptions {
  /** Arguments after `node`, e.g. ["--import", "tsx", "bin/tonearm.ts", "start"]. */
  args: string[];
  cwd: string;
  env: Record<string, string>;
  timeoutMs?: number;
  /**
   * Printed once the node has started every service. /health answers as soon as the gateway
   * listens, which can be before the other services are up (calls then get 503).
   */
  readyLine?: RegExp;
}

export async function startNodeProcess(opts: StartOptions): Promise<NodeProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, opts.args, {
    cwd: opts.cwd,
    env: { ...process.env, HOST: "127.0.0.1", PORT: String(port), ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let tail = "";
  let ready = !opts.readyLine;
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-8000);
    if (!ready && opts.readyLine!.test(tail)) ready = true;
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  let exited: number | string | null = null;
  const exit = new Promise<void>((resolve) => child.once("exit", (code, signal) => {
    exited = code ?? signal ?? "unknown";
    resolve();
  }));

  const node: NodeProcess = {
    pid: child.pid!,
    url: `http://127.0.0.1:${port}`,
    child,
    output: () => tail,
    async stop() {
      running.delete(node);
      if (exited !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exit;
      clearTimeout(timer);
    },
  };
  running.add(node);

  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  for (;;) {
    if (exited !== null) throw new Error(`node exited (${exited}) before it was healthy:\n${tail}`);
    try {
      const res = await fetch(`${node.url}/health`);
      await res.arrayBuffer();
      if (res.status === 200 && ready) return node;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await node.stop();
      throw new Error(`node did not answer /health within ${opts.timeoutMs ?? 60_000} ms:\n${tail}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** VmRSS and VmHWM (peak RSS) of a process, in bytes, from /proc/<pid>/status. */
export function processMemory(pid: number): { rss: number; peak: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
    if (!m) throw new Error(`${field} missing from /proc/${pid}/status`);
    return Number(m[1]) * 1024;
  };
  return { rss: kb("VmRSS"), peak: kb("VmHWM") };
}
