/**
 * The schema comes from migrations/*.sql, applied by the SQLite adapter at open and tracked in
 * D1's d1_migrations table; a data folder from before migrations existed (user_version 1) keeps
 * its rows and is not migrated twice.
 */
import Database from "better-sqlite3";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { applyMigrations, listMigrations, MIGRATIONS_DIR, openDatabase } from "../../../../../functions/adapters/node/sqlite/database.ts";
import { createSqliteApiKeyStore } from "../../../../../functions/adapters/node/sqlite/api-key-store.ts";
import { withoutEmptyFields } from "../../../stores/conformance/index.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "edge-migrations-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const tablesOf = (db: Database.Database) =>
  (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
const appliedOf = (db: Database.Database) => (db.prepare("SELECT name FROM d1_migrations ORDER BY id").all() as { name: string }[]).map((r) => r.name);

const KEY = {
  id: "key_1",
  userId: "alice",
  name: "laptop",
  hash: "ab".repeat(32),
  limits: { requestsBurst: 10, requestsPerMinute: 60, costBurst: 100, costPerMinute: 600 },
  createdMs: 1000,
  revokedMs: null,
};

describe("SQLite schema from migrations/", () => {
  it("a new file gets every migration, in name order, recorded as D1 records them", () => {
    const names = readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith(".sql")).sort();
    expect(names[0]).toBe("0001_init.sql");
    const db = openDatabase(join(dir, "edge.sqlite"));
    try {
      expect(appliedOf(db)).toEqual(names);
      expect(tablesOf(db)).toEqual(
        expect.arrayContaining(["api_keys", "d1_migrations", "generation_images", "generations", "idempotency_keys", "identities", "rate_buckets"]),
      );
      // wrangler's tracking columns, so `wrangler d1 migrations list` reads the same table.
      expect((db.prepare("PRAGMA table_info(d1_migrations)").all() as { name: string }[]).map((c) => c.name)).toEqual(["id", "name", "applied_at"]);
    } finally {
      db.close();
    }
  });

  it("opening again applies nothing and keeps the data", async () => {
    const path = join(dir, "edge.sqlite");
    const first = openDatabase(path);
    await createSqliteApiKeyStore(first).insert(KEY);
    first.close();
    const again = openDatabase(path);
    try {
      expect(applyMigrations(again)).toEqual([]);
      expect(withoutEmptyFields(await createSqliteApiKeyStore(again).findById("key_1"))).toEqual(withoutEmptyFields(KEY));
    } finally {
      again.close();
    }
  });

  it("a data folder from before migrations/ (user_version 1) keeps its rows and is marked, not re-migrated", async () => {
    const path = join(dir, "edge.sqlite");
    // What the adapter used to write: the same schema, its version in user_version, no d1_migrations.
    const legacy = new Database(path);
    legacy.pragma("journal_mode = WAL");
    legacy.exec(listMigrations()[0]!.sql);
    legacy.pragma("user_version = 1");
    legacy.close();
    const seeded = new Database(path);
    seeded
      .prepare("INSERT INTO api_keys VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
      .run(KEY.id, KEY.userId, KEY.name, KEY.hash, 10, 60, 100, 600, 1000, null);
    seeded.close();

    const db = openDatabase(path);
    try {
      expect(appliedOf(db)[0]).toBe("0001_init.sql");
      expect(withoutEmptyFields(await createSqliteApiKeyStore(db).findById("key_1"))).toEqual(withoutEmptyFields(KEY));
    } finally {
      db.close();
    }
  });

  it("applies a later migration once, after the ones already there", () => {
    const migrations = join(dir, "migrations");
    rmSync(migrations, { recursive: true, force: true });
    mkdirSync(migrations);
    copyFileSync(join(MIGRATIONS_DIR, "0001_init.sql"), join(migrations, "0001_init.sql"));
    const path = join(dir, "edge.sqlite");
    openDatabase(path, { migrationsDir: migrations }).close();

    writeFileSync(join(migrations, "0002_notes.sql"), "ALTER TABLE identities ADD COLUMN note TEXT;\n");
    const db = openDatabase(path, { migrationsDir: migrations });
    try {
      expect(appliedOf(db)).toEqual(["0001_init.sql", "0002_notes.sql"]);
      expect((db.prepare("PRAGMA table_info(identities)").all() as { name: string }[]).map((c) => c.name)).toContain("note");
      // A second open must not run the ALTER again (it would fail: duplicate column).
      expect(applyMigrations(db, migrations)).toEqual([]);
    } finally {
      db.close();
    }
  });

  it("a migration that fails leaves the file as it was and is not recorded", () => {
    const migrations = join(dir, "migrations");
    mkdirSync(migrations);
    copyFileSync(join(MIGRATIONS_DIR, "0001_init.sql"), join(migrations, "0001_init.sql"));
    writeFileSync(join(migrations, "0002_broken.sql"), "CREATE TABLE extra (x INTEGER);\nALTER TABLE no_such_table ADD COLUMN y TEXT;\n");
    const path = join(dir, "edge.sqlite");
    expect(() => openDatabase(path, { migrationsDir: migrations })).toThrow(/no_such_table/);
    const db = new Database(path);
    try {
      // Nothing of the failed run stays: not 0001's tables, not 0002's first statement.
      expect(tablesOf(db)).toEqual([]);
    } finally {
      db.close();
    }
  });
});
