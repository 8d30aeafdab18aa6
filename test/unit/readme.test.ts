// The README must document every environment variable the configuration reads.
import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { configVariables } from "../helpers/config-vars.js";

describe("README", () => {
  it("documents every setting lib/config.ts reads", () => {
    const names = configVariables();
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
