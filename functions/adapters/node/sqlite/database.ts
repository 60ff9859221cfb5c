/**
 * The edge's SQLite file: WAL so the keys CLI can write while the server runs, a busy timeout so
 * either waits briefly for the other, secure_delete so a deleted embedding is overwritten.
 *
 * The schema is migrations/*.sql, the same files wrangler applies to D1, applied here at open in
 * file-name order and recorded in D1's own tracking table (d1_migrations), so one folder of SQL is
 * the schema on both platforms and a database can be inspected the same way on either.
 */
import Database from "better-sqlite3";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export type SqliteDatabase = Database.Database;

/** The repository's migrations/ folder. */
export const MIGRATIONS_DIR = fileURLToPath(new URL("../../../../migrations/", import.meta.url));

/** wrangler's default `migrations_table`, with the columns wrangler creates. */
const TRACKING_TABLE = `CREATE TABLE IF NOT EXISTS d1_migrations (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT UNIQUE,
  applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
)`;

/**
 * Databases made before migrations/ existed kept their schema version in user_version (1: the
 * schema that is now 0001_init.sql). Such a file is marked as having that migration, not re-run.
 */
const LEGACY_VERSIONS: Readonly<Record<number, readonly string[]>> = { 1: ["0001_init.sql"] };

export interface OpenDatabaseOptions {
  /** Default: the repository's migrations/ (tests point it elsewhere). */
  readonly migrationsDir?: string;
}

export function openDatabase(path: string, options: OpenDatabaseOptions = {}): SqliteDatabase {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("busy_timeout = 5000");
    db.pragma("synchronous = NORMAL");
    db.pragma("secure_delete = ON");
    db.pragma("foreign_keys = ON");
    applyMigrations(db, options.migrationsDir ?? MIGRATIONS_DIR);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/** migrations/*.sql files, in the order they apply (D1's: by name). */
export function listMigrations(dir: string = MIGRATIONS_DIR): { name: string; sql: string }[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".sql"))
    .sort()
    .map((name) => ({ name, sql: readFileSync(join(dir, name), "utf8") }));
}

/** Applies the migrations this database has not had yet; returns their names. */
export function applyMigrations(db: SqliteDatabase, dir: string = MIGRATIONS_DIR): string[] {
  const migrations = listMigrations(dir);
  const applied: string[] = [];
  // IMMEDIATE: two processes (the edge, the keys CLI) opening a fresh file at once must not both migrate.
  db.transaction(() => {
    db.exec(TRACKING_TABLE);
    const record = db.prepare("INSERT INTO d1_migrations (name) VALUES (?)");
    const done = new Set((db.prepare("SELECT name FROM d1_migrations").all() as { name: string }[]).map((r) => r.name));
    const legacy = LEGACY_VERSIONS[db.pragma("user_version", { simple: true }) as number];
    if (done.size === 0 && legacy) {
      for (const name of legacy) {
        record.run(name);
        done.add(name);
      }
    }
    for (const m of migrations) {
      if (done.has(m.name)) continue;
      db.exec(m.sql);
      record.run(m.name);
      applied.push(m.name);
    }
  }).immediate();
  return applied;
}
