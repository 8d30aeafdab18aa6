// Who is calling an action. The gateway resolves the bearer token and puts the user in
// ctx.meta.user; calls without one come from inside the cluster (other services, the REPL).
import type { Context } from "moleculer";
import { forbidden, unauthorized } from "../errors.js";

export interface AuthUser {
  id: number;
  username: string;
  role: "admin" | "user";
  sessionId: string;
  /** When the access token that identified this user expires (ms since the epoch). */
  expiresAt?: number;
}

/**
 * Broadcast when sessions end before their time (logout, a replayed refresh token, a password
 * change), so every gateway forgets tokens it had already checked (lib/auth/token-cache.ts).
 */
export const SESSIONS_REVOKED = "users.sessions.revoked";
export type SessionsRevoked = { sessionIds: string[] } | { userId: number; exceptSessionId?: string };

export interface Meta {
  user?: AuthUser;
  ip?: string;
  userAgent?: string;
}

/** The signed-in user; 401 when the call carries none. */
export function requireUser(ctx: Context<unknown, Meta>): AuthUser {
  const user = ctx.meta.user;
  if (!user) throw unauthorized();
  return user;
}

/** Admins, and internal calls (REPL, other services), pass; signed-in non-admins get 403. */
export function requireAdmin(ctx: Context<unknown, Meta>): void {
  const user = ctx.meta.user;
  if (user && user.role !== "admin") throw forbidden("Only an admin may do that");
}
