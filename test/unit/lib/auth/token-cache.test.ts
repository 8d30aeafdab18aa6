import { describe, expect, it } from "vitest";
import { TokenCache } from "../../../../lib/auth/token-cache.js";
import type { AuthUser } from "../../../../lib/auth/access.js";

const user = (id: number, sessionId: string, expiresAt = Infinity): AuthUser => ({ id, username: `u${id}`, role: "user", sessionId, expiresAt });

describe("TokenCache", () => {
  it("remembers a checked token for the TTL, and never past the token's expiry", () => {
    let now = 0;
    const cache = new TokenCache(15_000, 100, () => now);
    cache.set("a", user(1, "s1"));
    cache.set("b", user(2, "s2", 5_000));
    now = 4_999;
    expect([cache.get("a")?.id, cache.get("b")?.id]).toEqual([1, 2]);
    now = 5_000;
    expect(cache.get("b")).toBeUndefined();
    now = 15_000;
    expect(cache.get("a")).toBeUndefined();
  });

  it("forgets revoked sessions, and a user's other sessions on a password change", () => {
    const cache = new TokenCache();
    cache.set("a", user(1, "s1"));
    cache.set("b", user(1, "s2"));
    cache.set("c", user(1, "s3"));
    cache.set("d", user(2, "s4"));
    cache.revoke({ sessionIds: ["s1"] });
    expect(cache.get("a")).toBeUndefined();
    cache.revoke({ userId: 1, exceptSessionId: "s3" });
    expect([cache.get("b"), cache.get("c")?.sessionId, cache.get("d")?.sessionId]).toEqual([undefined, "s3", "s4"]);
  });

  it("stays bounded", () => {
    const cache = new TokenCache(15_000, 3);
    for (let i = 0; i < 10; i++) cache.set(`t${i}`, user(i, `s${i}`));
    expect(["t6", "t7", "t8", "t9"].map((t) => cache.get(t)?.id)).toEqual([undefined, 7, 8, 9]);
  });
});
