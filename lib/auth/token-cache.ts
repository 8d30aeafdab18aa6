// The gateway's memory of access tokens it has already checked, so a signed-in request does not
// cost a call to the users service and a database read every time. An entry lives at most
// `ttlMs` (and never past the token's own expiry); revocations are broadcast by the users
// service and drop matching entries at once, so the TTL only bounds the damage of a lost event.
import type { AuthUser, SessionsRevoked } from "./access.js";

export class TokenCache {
  private entries = new Map<string, { user: AuthUser; until: number }>();

  constructor(
    private readonly ttlMs = 15_000,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  get(token: string): AuthUser | undefined {
    const hit = this.entries.get(token);
    if (!hit) return undefined;
    if (hit.until <= this.now()) {
      this.entries.delete(token);
      return undefined;
    }
    return hit.user;
  }

  set(token: string, user: AuthUser): void {
    const until = Math.min(this.now() + this.ttlMs, user.expiresAt ?? Infinity);
    if (until <= this.now()) return;
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(token, { user, until });
  }

  revoke(event: SessionsRevoked): void {
    for (const [token, { user }] of this.entries) {
      const gone = "sessionIds" in event
        ? event.sessionIds.includes(user.sessionId)
        : user.id === event.userId && user.sessionId !== event.exceptSessionId;
      if (gone) this.entries.delete(token);
    }
  }
}
