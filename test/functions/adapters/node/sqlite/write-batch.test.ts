import { describe, expect, it } from "vitest";
import type { SqliteDatabase } from "../../../../../functions/adapters/node/sqlite/database.ts";
import { useTempEdgeDatabase } from "../../../helpers/temp-edge-database.ts";
import { writeBatchOf } from "../../../../../functions/adapters/node/sqlite/write-batch.ts";

const open = useTempEdgeDatabase();

const put = (db: SqliteDatabase, name: string, tokens = 1) =>
  db.prepare("INSERT INTO rate_buckets (name, tokens, updated_ms) VALUES (?, ?, 0)").run(name, tokens);
const names = (db: SqliteDatabase) =>
  db
    .prepare<[], { name: string }>("SELECT name FROM rate_buckets ORDER BY name")
    .all()
    .map((r) => r.name);

describe("SQLite write batch (group commit)", () => {
  it("commits the writes of one turn in one transaction, each visible elsewhere once its promise settles", async () => {
    const db = open();
    const other = open();
    const batch = writeBatchOf(db);
    const seenByOther: string[][] = [];
    await Promise.all([
      batch.run(() => put(db, "a")),
      // Same turn: the other connection does not see "a" yet, because "a" is not committed alone.
      batch.run(() => {
        seenByOther.push(names(other));
        put(db, "b");
      }),
    ]);
    expect(seenByOther).toEqual([[]]);
    expect(names(other)).toEqual(["a", "b"]);
    await batch.run(() => put(db, "c"));
    expect(names(other)).toEqual(["a", "b", "c"]);
  });

  it("runs writes in call order and hands each caller its own result", async () => {
    const db = open();
    const batch = writeBatchOf(db);
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        batch.run(() => {
          put(db, `k${i}`);
          return names(db).length;
        }),
      ),
    );
    expect(results).toEqual([1, 2, 3, 4, 5]);
  });

  it("rolls back and rejects only the write that threw, whatever it had written", async () => {
    const db = open();
    const batch = writeBatchOf(db);
    const results = await Promise.allSettled([
      batch.run(() => put(db, "a")),
      batch.run(() => {
        put(db, "half");
        put(db, "a"); // primary key taken: the whole write goes, "half" included
      }),
      batch.run(() => put(db, "b")),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(names(open())).toEqual(["a", "b"]);
  });

  it("rejects the whole batch and runs nothing more when SQLite ends the transaction", async () => {
    const db = open();
    const batch = writeBatchOf(db);
    let ranAfter = false;
    const results = await Promise.allSettled([
      batch.run(() => put(db, "a")),
      batch.run(() => {
        // What SQLite does itself on a full disk or an I/O error.
        db.exec("ROLLBACK");
        throw new Error("disk full");
      }),
      batch.run(() => {
        ranAfter = true;
        put(db, "b");
      }),
    ]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected", "rejected"]);
    expect(ranAfter).toBe(false);
    expect(names(open())).toEqual([]);
    expect(db.inTransaction).toBe(false);
  });

  it("rejects every write of a batch that cannot get the write lock, storing none", async () => {
    const db = open();
    db.pragma("busy_timeout = 50");
    const other = open();
    other.exec("BEGIN IMMEDIATE");
    const batch = writeBatchOf(db);
    const results = await Promise.allSettled([batch.run(() => put(db, "a")), batch.run(() => put(db, "b"))]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    other.exec("ROLLBACK");
    expect(db.inTransaction).toBe(false);
    await batch.run(() => put(db, "c"));
    expect(names(other)).toEqual(["c"]);
  });

  it("is one batch per connection, shared by every store on it", () => {
    const db = open();
    expect(writeBatchOf(db)).toBe(writeBatchOf(db));
    expect(writeBatchOf(open())).not.toBe(writeBatchOf(db));
  });
});
