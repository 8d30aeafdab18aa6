// The README must document every environment variable the configuration reads.
import fs from "node:fs";
import { describe, expect, it } from "vitest";

describe("README", () => {
  it("documents every setting lib/config.ts reads", () => {
    const source = fs.readFileSync("lib/config.ts", "utf8");
    const names = new Set([
      ...[...source.matchAll(/env\.([A-Z][A-Z0-9_]+)/g)].map((m) => m[1]),
      ...[...source.matchAll(/(?:int|bool)\("([A-Z][A-Z0-9_]+)"/g)].map((m) => m[1]),
    ]);
    expect(names.size).toBeGreaterThan(15);
    const readme = fs.readFileSync("README.md", "utf8");
    const missing = [...names].filter((n) => !readme.includes(`| \`${n}\` |`));
    expect(missing).toEqual([]);
  });

  it("gives the start and test commands", () => {
    const readme = fs.readFileSync("README.md", "utf8");
    expect(readme).toContain("npm install && npm start");
    expect(readme).toContain("npm test");
    expect(fs.readFileSync(".ci/run", "utf8")).toMatch(/^npm test$/m);
  });
});
