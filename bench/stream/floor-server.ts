// The floor for Tonearm's file serving in bench/stream: node:http and the very serveFile and
// OpenFiles the gateway uses (lib/stream), with nothing else — no routing, authentication, song
// lookup or broker. What Tonearm measures beyond this is the gateway's own cost per request; what
// this measures below nginx is Node's (no sendfile: every byte is read into a buffer and written).
//
//   node [--import tsx] bench/stream/floor-server.ts <root> <port> [<lib dir>]
// serves GET/HEAD /<path under root>; <lib dir> is where range.js and open-files.js live (the
// compiled dist/lib/stream when the node under test runs compiled, else lib/stream through tsx).
import http from "node:http";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [root, port, libDir = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../../lib/stream")] = process.argv.slice(2);
if (!root || !port) {
  console.error("usage: floor-server.ts <root> <port> [<lib dir>]");
  process.exit(2);
}
const ext = libDir.includes(`${path.sep}dist${path.sep}`) ? ".js" : ".ts";
const { serveFile, contentTypeFor } = await import(pathToFileURL(path.join(libDir, `range${ext}`)).href);
const { OpenFiles } = await import(pathToFileURL(path.join(libDir, `open-files${ext}`)).href);
const files = new OpenFiles({ validMs: 2000, maxEntries: 200 });
const base = path.resolve(root);

http.createServer((req, res) => {
  const file = path.join(base, decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname));
  if (!file.startsWith(base + path.sep)) return void res.writeHead(404).end();
  serveFile(req, res, file, { contentType: contentTypeFor(path.extname(file)), files }).catch(() => {
    if (!res.headersSent) res.writeHead(404).end();
    else res.destroy();
  });
}).listen(Number(port), "127.0.0.1", () => console.log(`floor server on ${port}`));
