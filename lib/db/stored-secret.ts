// A server-side secret generated once and kept in the settings table (as users.service does for
// the JWT secret when JWT_SECRET is empty): every node and every restart sees the same value.
import crypto from "node:crypto";
import type { Database } from "./connection.js";

/** The secret under `key`, created (random, base64url) on first use. Read-or-create under the write lock. */
export async function storedSecret(database: Database, key: string, bytes = 32): Promise<string> {
  const [row] = await database.select<{ value: string }>("SELECT value FROM settings WHERE key = ?", [key]);
  if (row) return JSON.parse(row.value) as string;
  const { Setting } = database.models;
  return database.writeTransaction(async (transaction) => {
    const existing = await Setting.findByPk(key, { transaction });
    if (existing) return JSON.parse(existing.value) as string;
    const fresh = crypto.randomBytes(bytes).toString("base64url");
    await Setting.create({ key, value: JSON.stringify(fresh) }, { transaction });
    return fresh;
  });
}
