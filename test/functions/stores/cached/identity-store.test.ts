import { describe, expect, it } from "vitest";
import { createCachedIdentityStore } from "../../../../functions/stores/cached/identity-store.ts";
import type { IdentityRecord, IdentityStore } from "../../../../functions/stores/identity-store.ts";

function record(id: string, userId: string): IdentityRecord {
  return {
    id,
    userId,
    contentHash: `h-${id}`,
    pack: "lite",
    embedding: new Float32Array(512),
    kps: [[0, 0], [1, 1], [2, 2], [3, 3], [4, 4]],
    bbox: [0, 0, 1, 1],
    score: 1,
    faceCount: 1,
    photoCount: 1,
    imageWidth: 10,
    imageHeight: 10,
    createdMs: 0,
  };
}

/** A map-backed store that counts reads. */
function countingStore() {
  const rows = new Map<string, IdentityRecord>();
  let reads = 0;
  const store: IdentityStore = {
    async insertOrGet(r) {
      rows.set(r.id, r);
      return { record: r, inserted: true };
    },
    async get(userId, id) {
      reads++;
      const r = rows.get(id);
      return r && r.userId === userId ? r : undefined;
    },
    async findByContentHash() {
      return undefined;
    },
    async list() {
      return { items: [], next: null };
    },
    async delete(userId, id) {
      const r = rows.get(id);
      if (!r || r.userId !== userId) return false;
      return rows.delete(id);
    },
  };
  return { store, reads: () => reads };
}

describe("LRU identity cache", () => {
  it("serves repeated reads from memory and still hides other users' identities", async () => {
    const inner = countingStore();
    const cached = createCachedIdentityStore(inner.store, 2);
    await cached.insertOrGet(record("a", "u1"));
    expect((await cached.get("u1", "a"))?.id).toBe("a");
    expect((await cached.get("u1", "a"))?.id).toBe("a");
    expect(inner.reads()).toBe(0);
    expect(await cached.get("u2", "a")).toBeUndefined();
  });

  it("evicts the least recently used, and deletion evicts at once", async () => {
    const inner = countingStore();
    const cached = createCachedIdentityStore(inner.store, 2);
    for (const id of ["a", "b", "c"]) await cached.insertOrGet(record(id, "u"));
    await cached.get("u", "a");
    expect(inner.reads()).toBe(1);
    expect(await cached.delete("u", "b")).toBe(true);
    expect(await cached.get("u", "b")).toBeUndefined();
    expect(await cached.delete("other", "c")).toBe(false);
    expect((await cached.get("u", "c"))?.id).toBe("c");
  });
});
