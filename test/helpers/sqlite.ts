// Reads a node's SQLite file from the test process, with the sqlite3 driver and no Sequelize:
// read-only while the node runs (WAL mode lets a reader in beside its writer), read-write once
// it has stopped (integrity check). One connection per call, closed before returning.
import sqlite3 from "sqlite3";

export async function sqliteQuery<T = Record<string, unknown>>(
  file: string, sql: string, params: unknown[] = [], { readonly = true }: { readonly?: boolean } = {},
): Promise<T[]> {
  const mode = readonly ? sqlite3.OPEN_READONLY : sqlite3.OPEN_READWRITE;
  const db = await new Promise<sqlite3.Database>((resolve, reject) => {
    const d = new sqlite3.Database(file, mode, (err) => (err ? reject(err) : resolve(d)));
  });
  try {
    db.configure("busyTimeout", 2000);
    return await new Promise<T[]>((resolve, reject) => db.all(sql, params, (err, rows) => (err ? reject(err) : resolve(rows as T[]))));
  } finally {
    await new Promise<void>((resolve) => db.close(() => resolve()));
  }
}
