/**
 * Whether another connection (another process: the keys CLI) committed to the database since the
 * previous call. PRAGMA data_version moves on every commit by any other connection and never on
 * this connection's own, so the edge's own writes (rate buckets, generations) do not trip it.
 */
import type { SqliteDatabase } from "./database.ts";

export function sqliteChangeProbe(db: SqliteDatabase): () => boolean {
  const dataVersion = db.prepare<[], number>("PRAGMA data_version").pluck();
  let seen = dataVersion.get();
  return () => {
    const now = dataVersion.get();
    if (now === seen) return false;
    seen = now;
    return true;
  };
}
