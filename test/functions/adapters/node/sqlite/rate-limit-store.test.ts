import { describe, expect, it } from "vitest";
import { useTempEdgeDatabase } from "../../../helpers/temp-edge-database.ts";
import { createSqliteRateLimitStore } from "../../../../../functions/adapters/node/sqlite/rate-limit-store.ts";
import { createMemoryRateLimitStore } from "../../../../../functions/stores/memory/rate-limit-store.ts";

const open = useTempEdgeDatabase();

const policy = { capacity: 7, refillPerSecond: 0 };

describe("rate-limit stores admit exactly the capacity under concurrency", () => {
  it("SQLite, two connections to one file (as server and CLI would be)", async () => {
    const a = createSqliteRateLimitStore(open());
    const b = createSqliteRateLimitStore(open());
    const decisions = await Promise.all(
      Array.from({ length: 100 }, (_, i) => (i % 2 ? a : b).take("u", policy, 1, 1000)),
    );
    expect(decisions.filter((d) => d.allowed)).toHaveLength(7);
  });

  it("in memory", async () => {
    const s = createMemoryRateLimitStore();
    const decisions = await Promise.all(Array.from({ length: 100 }, () => s.take("u", policy, 1, 1000)));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(7);
  });

  it("keeps buckets apart by name and persists them", async () => {
    const s = createSqliteRateLimitStore(open());
    await s.take("x", policy, 7, 0);
    expect((await s.take("x", policy, 1, 0)).allowed).toBe(false);
    expect((await s.take("y", policy, 1, 0)).allowed).toBe(true);
    const reopened = createSqliteRateLimitStore(open());
    expect((await reopened.take("x", policy, 1, 0)).allowed).toBe(false);
    await reopened.refund("x", policy, 2, 0);
    expect((await reopened.take("x", policy, 2, 0)).allowed).toBe(true);
  });
});
