import { describe, expect, it } from "vitest";
import { sameDigest, sha256, signAccessToken, splitRefreshToken, verifyAccessToken } from "../../../../lib/auth/tokens.js";

const claims = { userId: 7, role: "user" as const, sessionId: "0b8c6f0e-1d2a-4c33-9a51-5a4f2b7c9d10" };

describe("access tokens", () => {
  it("round-trips the claims while valid", async () => {
    const now = Date.now();
    const token = await signAccessToken(claims, "s3cret", 60, now);
    const expiresAt = (Math.floor(now / 1000) + 60) * 1000;
    expect(await verifyAccessToken(token, "s3cret", now)).toEqual({ ok: true, claims: { ...claims, expiresAt } });
  });

  it("reports expiry separately from forgery", async () => {
    const token = await signAccessToken(claims, "s3cret", 60, Date.now() - 120_000);
    expect(await verifyAccessToken(token, "s3cret")).toEqual({ ok: false, reason: "expired" });
    expect(await verifyAccessToken(await signAccessToken(claims, "other", 60), "s3cret")).toEqual({ ok: false, reason: "invalid" });
    expect(await verifyAccessToken("a.b.c", "s3cret")).toEqual({ ok: false, reason: "invalid" });
  });

  it("rejects a token whose payload was edited", async () => {
    const token = await signAccessToken(claims, "s3cret", 60);
    const [h, p, s] = token.split(".");
    const payload = JSON.parse(Buffer.from(p, "base64url").toString());
    payload.role = "admin";
    const edited = [h, Buffer.from(JSON.stringify(payload)).toString("base64url"), s].join(".");
    expect((await verifyAccessToken(edited, "s3cret")).ok).toBe(false);
  });
});

describe("refresh tokens", () => {
  it("split into session id and secret", () => {
    expect(splitRefreshToken("abc.def.ghi")).toEqual({ sessionId: "abc", secret: "def.ghi" });
    expect(splitRefreshToken("nodot")).toBeUndefined();
    expect(splitRefreshToken(".x")).toBeUndefined();
    expect(splitRefreshToken("x.")).toBeUndefined();
  });

  it("compare digests exactly", () => {
    expect(sameDigest(sha256("a"), sha256("a"))).toBe(true);
    expect(sameDigest(sha256("a"), sha256("b"))).toBe(false);
    expect(sameDigest(sha256("a"), "00")).toBe(false);
  });
});
