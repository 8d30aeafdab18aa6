// A throwaway PostgreSQL server for tests: initdb into a temp folder, listen on a free
// loopback port, trust auth. Uses Debian's postgresql binaries (as the postgres user when the
// tests run as root, since PostgreSQL refuses to run as root).
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

export interface PgServer {
  url(db: string): string;
  createDatabase(name: string): void;
  stop(): void;
}

function pgBin(): string {
  const root = "/usr/lib/postgresql";
  const versions = fs.existsSync(root) ? fs.readdirSync(root).filter((v) => fs.existsSync(path.join(root, v, "bin", "initdb"))) : [];
  if (!versions.length) throw new Error("PostgreSQL is not installed (Debian package 'postgresql'; .ci/run installs it)");
  return path.join(root, versions.sort((a, b) => Number(b) - Number(a))[0], "bin");
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

export async function startPostgres(): Promise<PgServer> {
  const bin = pgBin();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tonearm-pg-"));
  const asRoot = process.getuid?.() === 0;
  const run = (cmd: string, args: string[]) => {
    const [file, argv] = asRoot ? ["runuser", ["-u", "postgres", "--", path.join(bin, cmd), ...args]] : [path.join(bin, cmd), args];
    const res = spawnSync(file, argv, { encoding: "utf8" });
    if (res.status !== 0) throw new Error(`${cmd} failed: ${res.stderr || res.stdout}`);
  };
  if (asRoot) execFileSync("chown", ["postgres", dir]);
  const port = await freePort();
  const data = path.join(dir, "data");
  run("initdb", ["-D", data, "--auth=trust", "-U", "postgres", "--encoding=UTF8", "--no-sync"]);
  run("pg_ctl", ["-D", data, "-w", "-l", path.join(dir, "log"), "-o", `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, "start"]);
  return {
    url: (db) => `postgres://postgres@127.0.0.1:${port}/${db}`,
    createDatabase(name) {
      run("createdb", ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", name]);
    },
    stop() {
      try {
        run("pg_ctl", ["-D", data, "-w", "-m", "fast", "stop"]);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
