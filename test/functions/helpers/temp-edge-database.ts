/**
 * A fresh edge SQLite file per test; `open()` gives another connection to it (as a second process
 * such as the keys CLI would have). Connections and the file are gone after each test.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach } from "vitest";
import { openDatabase, type SqliteDatabase } from "../../../functions/adapters/node/sqlite/database.ts";

export function useTempEdgeDatabase(): () => SqliteDatabase {
  let dir: string;
  let dbs: SqliteDatabase[];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "edge-db-"));
    dbs = [];
  });
  afterEach(() => {
    for (const d of dbs) if (d.open) d.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    const db = openDatabase(join(dir, "edge.sqlite"));
    dbs.push(db);
    return db;
  };
}
