// Access tokens are short-lived HS256 JWTs naming the user, role and session; refresh tokens
// are opaque "<sessionId>.<secret>" strings of which only a SHA-256 is stored, rotated on every
// use (RFC 6819 §5.2.2.3): presenting an already-rotated secret revokes the whole session.
import crypto from "node:crypto";
import { SignJWT, jwtVerify, errors as joseErrors } from "jose";

export interface AccessClaims {
  userId: number;
  role: "admin" | "user";
  sessionId: string;
  /** Expiry (ms since the epoch); set when verifying, ignored when signing. */
  expiresAt?: number;
}

const ISSUER = "tonearm";

function key(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}

export async function signAccessToken(claims: AccessClaims, secret: string, ttlSeconds: number, nowMs = Date.now()): Promise<string> {
  const iat = Math.floor(nowMs / 1000);
  return new SignJWT({ role: claims.role, sid: claims.sessionId })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(String(claims.userId))
    .setIssuer(ISSUER)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttlSeconds)
    .sign(key(secret));
}

export type VerifyResult =
  | { ok: true; claims: AccessClaims }
  | { ok: false; reason: "expired" | "invalid" };

export async function verifyAccessToken(token: string, secret: string, nowMs = Date.now()): Promise<VerifyResult> {
  try {
    const { payload } = await jwtVerify(token, key(secret), {
      issuer: ISSUER,
      algorithms: ["HS256"],
      currentDate: new Date(nowMs),
    });
    const userId = Number(payload.sub);
    const role = payload.role;
    const sessionId = payload.sid;
    if (!Number.isInteger(userId) || (role !== "admin" && role !== "user") || typeof sessionId !== "string") {
      return { ok: false, reason: "invalid" };
    }
    return { ok: true, claims: { userId, role, sessionId, expiresAt: (payload.exp ?? 0) * 1000 } };
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) return { ok: false, reason: "expired" };
    return { ok: false, reason: "invalid" };
  }
}

export function newSecret(bytes = 32): string {
  return crypto.randomBytes(bytes).toString("base64url");
}

export function sha256(text: string): string {
  return crypto.createHash("sha256").update(text).digest("hex");
}

export function splitRefreshToken(token: string): { sessionId: string; secret: string } | undefined {
  const dot = token.indexOf(".");
  if (dot <= 0 || dot === token.length - 1) return undefined;
  return { sessionId: token.slice(0, dot), secret: token.slice(dot + 1) };
}

/** Constant-time comparison of two hex digests. */
export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, "hex");
  const y = Buffer.from(b, "hex");
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}
