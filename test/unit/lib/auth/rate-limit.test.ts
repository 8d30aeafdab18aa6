import { describe, expect, it } from "vitest";
import { RateLimiter } from "../../../../lib/auth/rate-limit.js";

describe("RateLimiter", () => {
  it("allows the limit per window, then says how long to wait", () => {
    let now = 1_000_000;
    const rl = new RateLimiter(3, 60_000, () => now);
    expect([rl.hit("ip"), rl.hit("ip"), rl.hit("ip")]).toEqual([0, 0, 0]);
    expect(rl.hit("ip")).toBe(60);
    now += 45_000;
    expect(rl.hit("ip")).toBe(15);
    expect(rl.hit("other")).toBe(0);
    now += 15_000;
    expect(rl.hit("ip")).toBe(0);
  });

  it("forgets a key on reset, and limits nothing with limit 0", () => {
    const rl = new RateLimiter(1, 60_000, () => 0);
    rl.hit("a");
    expect(rl.hit("a")).toBeGreaterThan(0);
    rl.reset("a");
    expect(rl.hit("a")).toBe(0);
    const off = new RateLimiter(0, 60_000, () => 0);
    for (let i = 0; i < 100; i++) expect(off.hit("x")).toBe(0);
  });
});
