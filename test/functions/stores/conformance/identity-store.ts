import { describe, expect, it } from "vitest";
import type { IdentityRecord, IdentityStore } from "../../../../functions/stores/identity-store.ts";
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
  });
}
