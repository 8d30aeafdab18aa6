// Every environment variable lib/config.ts reads, found in its source: `env.NAME` and the
// int("NAME", …) / bool("NAME", …) helpers. The README and the compose file are checked
// against this list.
import fs from "node:fs";

export function configVariables(): Set<string> {
  const source = fs.readFileSync("lib/config.ts", "utf8");
  return new Set([
    ...[...source.matchAll(/env\.([A-Z][A-Z0-9_]+)/g)].map((m) => m[1]),
    ...[...source.matchAll(/(?:int|bool)\("([A-Z][A-Z0-9_]+)"/g)].map((m) => m[1]),
  ]);
}
