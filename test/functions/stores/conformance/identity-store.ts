import { describe, expect, it } from "vitest";
import type { IdentityRecord, IdentityStore, IdentitySummary } from "../../../../functions/stores/identity-store.ts";
import type { Page, PagePosition } from "../../../../functions/stores/page.ts";
import { settleAll, type MakeStore } from "./make-store.ts";

export function identityRecord(over: Partial<IdentityRecord> = {}): IdentityRecord {
  return {
    id: "idn_1",
    userId: "alice",
    contentHash: "hash-1",
    pack: "lite",
    // Values a float32 holds exactly and ones it rounds: both must come back bit for bit.
    embedding: Float32Array.from({ length: 512 }, (_, i) => (i % 7 === 0 ? i / 8 : Math.sin(i) * 3.3)),
    kps: [
      [10.5, 20.25],
      [30, 20],
      [20, 30],
      [12, 40],
      [28, 40.75],
    ],
    bbox: [1.5, 2, 40, 50.25],
    score: 0.987,
    faceCount: 2,
    photoCount: 1,
    imageWidth: 640,
    imageHeight: 480,
    createdMs: 1_000,
    ...over,
  };
}

export function describeIdentityStoreConformance(makeStore: MakeStore<IdentityStore>): void {
  describe("IdentityStore conformance", () => {
    it("stores an identity exactly: the embedding bit for bit, keypoints, box and counts", async () => {
      const store = await makeStore();
      const record = identityRecord();
      expect(await store.insertOrGet(record)).toEqual({ record, inserted: true });
      const back = await store.get("alice", "idn_1");
      expect(back).toEqual(record);
      expect(back?.embedding).toBeInstanceOf(Float32Array);
      expect(await store.findByContentHash("alice", "hash-1")).toEqual(record);
    });

    it("insert-or-get: the same user's same photos return the identity already stored", async () => {
      const store = await makeStore();
      await store.insertOrGet(identityRecord());
      const second = await store.insertOrGet(identityRecord({ id: "idn_2", score: 0.5, createdMs: 9_000 }));
      expect(second.inserted).toBe(false);
      expect(second.record).toEqual(identityRecord());
      expect(await store.get("alice", "idn_2")).toBeUndefined();
    });

    it("insert-or-get is atomic: of 20 concurrent inserts of one content hash, one is stored and all get it", async () => {
      const store = await makeStore();
      const { values, errors } = await settleAll(Array.from({ length: 20 }, (_, i) => store.insertOrGet(identityRecord({ id: `idn_${i}` }))));
      expect(errors).toEqual([]);
      expect(values.filter((v) => v.inserted)).toHaveLength(1);
      const winner = values.find((v) => v.inserted)!.record.id;
      expect(new Set(values.map((v) => v.record.id))).toEqual(new Set([winner]));
      expect((await store.findByContentHash("alice", "hash-1"))?.id).toBe(winner);
    });

    it("is scoped by user: another user's identity does not exist for reads, deletes or hashes", async () => {
      const store = await makeStore();
      await store.insertOrGet(identityRecord());
      expect(await store.get("bob", "idn_1")).toBeUndefined();
      expect(await store.findByContentHash("bob", "hash-1")).toBeUndefined();
      expect(await store.delete("bob", "idn_1")).toBe(false);
      expect(await store.get("alice", "idn_1")).toBeDefined();
      // The same photos uploaded by bob are bob's own identity.
      const bobs = await store.insertOrGet(identityRecord({ id: "idn_bob", userId: "bob" }));
      expect(bobs.inserted).toBe(true);
      expect((await store.findByContentHash("bob", "hash-1"))?.id).toBe("idn_bob");
      expect((await store.findByContentHash("alice", "hash-1"))?.id).toBe("idn_1");
    });

    it("deletes once, embedding included; the same photos may then make a new identity", async () => {
      const store = await makeStore();
      await store.insertOrGet(identityRecord());
      expect(await store.delete("alice", "idn_1")).toBe(true);
      expect(await store.delete("alice", "idn_1")).toBe(false);
      expect(await store.get("alice", "idn_1")).toBeUndefined();
      expect(await store.findByContentHash("alice", "hash-1")).toBeUndefined();
      expect((await store.insertOrGet(identityRecord({ id: "idn_again" }))).inserted).toBe(true);
    });

    it("lists the user's identities newest first (ties by id), without the embedding", async () => {
      const store = await makeStore();
      const made = [
        identityRecord({ id: "idn_a", contentHash: "h-a", createdMs: 1_000 }),
        identityRecord({ id: "idn_c", contentHash: "h-c", createdMs: 2_000 }),
        identityRecord({ id: "idn_b", contentHash: "h-b", createdMs: 2_000 }),
        identityRecord({ id: "idn_d", contentHash: "h-d", createdMs: 3_000, pack: "antelopev2" }),
      ];
      for (const r of made) await store.insertOrGet(r);
      await store.insertOrGet(identityRecord({ id: "idn_bob", userId: "bob", contentHash: "h-a", createdMs: 5_000 }));
      const page = await store.list("alice", { limit: 10 });
      expect(page.next).toBeNull();
      expect(page.items.map((i) => i.id)).toEqual(["idn_d", "idn_c", "idn_b", "idn_a"]);
      for (const item of page.items) expect(item).not.toHaveProperty("embedding");
      const { embedding: _e, ...summary } = made[3];
      expect(page.items[0]).toEqual(summary);
      expect((await store.list("bob", { limit: 10 })).items.map((i) => i.id)).toEqual(["idn_bob"]);
      expect(await store.list("carol", { limit: 10 })).toEqual({ items: [], next: null });
    });

    it("pages by position: every identity once across pages, none skipped or repeated while newer ones are inserted or one is deleted", async () => {
      const store = await makeStore();
      // Seven identities, three of them created in the same millisecond.
      const times = [1_000, 2_000, 2_000, 2_000, 3_000, 4_000, 5_000];
      for (const [i, t] of times.entries()) await store.insertOrGet(identityRecord({ id: `idn_${i}`, contentHash: `h-${i}`, createdMs: t }));
      const all = (await store.list("alice", { limit: 100 })).items.map((i) => i.id);
      expect(all).toEqual(["idn_6", "idn_5", "idn_4", "idn_3", "idn_2", "idn_1", "idn_0"]);

      const seen: string[] = [];
      let after: PagePosition | undefined;
      let pages = 0;
      for (;;) {
        const page: Page<IdentitySummary> = await store.list("alice", { limit: 2, ...(after ? { after } : {}) });
        pages++;
        seen.push(...page.items.map((i) => i.id));
        expect(page.items.length).toBeLessThanOrEqual(2);
        if (!page.next) break;
        expect(page.next).toEqual({ createdMs: page.items[1].createdMs, id: page.items[1].id });
        after = page.next;
        // Between pages: a newer identity arrives, and one already shown is deleted.
        await store.insertOrGet(identityRecord({ id: `idn_new${pages}`, contentHash: `h-new${pages}`, createdMs: 9_000 + pages }));
        if (pages === 1) await store.delete("alice", "idn_6");
      }
      expect(seen).toEqual(all);
      expect(pages).toBe(4);
      // A page that ends exactly at the last identity says there is no next one.
      const exact = await store.list("alice", { limit: 2, after: { createdMs: 2_000, id: "idn_2" } });
      expect(exact).toEqual({ items: [expect.objectContaining({ id: "idn_1" }), expect.objectContaining({ id: "idn_0" })], next: null });
    });
  });
}
