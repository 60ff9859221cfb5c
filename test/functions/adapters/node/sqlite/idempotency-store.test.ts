import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase, type SqliteDatabase } from "../../../../../functions/adapters/node/sqlite/database.ts";
import { createSqliteIdempotencyStore } from "../../../../../functions/adapters/node/sqlite/idempotency-store.ts";

let dir: string;
let db: SqliteDatabase;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "idem-"));
  db = openDatabase(join(dir, "edge.sqlite"));
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("SQLite idempotency store", () => {
  it("lets exactly one of concurrent begins start", async () => {
    const s = createSqliteIdempotencyStore(db);
    const r = await Promise.all(Array.from({ length: 20 }, () => s.begin("u", "k", "f", 0, 1000)));
    expect(r.filter((x) => x.kind === "started")).toHaveLength(1);
    expect(r.filter((x) => x.kind === "in_progress")).toHaveLength(19);
  });

  it("replays a completed response, refuses another fingerprint, forgets a released or expired key", async () => {
    const s = createSqliteIdempotencyStore(db);
    await s.begin("u", "k", "f", 0, 1000);
    const response = { status: 201, contentType: "application/json", location: "/x", body: "{}" };
    await s.complete("u", "k", response);
    expect(await s.begin("u", "k", "f", 10, 1000)).toEqual({ kind: "replay", response });
    expect(await s.begin("u", "k", "g", 10, 1000)).toEqual({ kind: "mismatch" });
    expect(await s.begin("other-user", "k", "g", 10, 1000)).toEqual({ kind: "started" });
    expect(await s.begin("u", "k", "g", 5000, 1000)).toEqual({ kind: "started" });
    await s.release("u", "k");
    expect(await s.begin("u", "k", "h", 5001, 1000)).toEqual({ kind: "started" });
  });
});
