import { describe, expect, it } from "vitest";
import type { ApiKeyRecord, ApiKeyStore } from "../../../../functions/stores/api-key-store.ts";
import type { MakeStore } from "./make-store.ts";

export function apiKeyRecord(over: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return {
    id: "key_a1",
    userId: "alice",
    name: "laptop",
    hash: "a1".repeat(32),
    limits: { requestsBurst: 30, requestsPerMinute: 60, costBurst: 400, costPerMinute: 200 },
    createdMs: 1_000,
    revokedMs: null,
    ...over,
  };
}

/**
 * A record as a client of the store sees it: an optional field left out and the same field read
 * back as null mean the same (no secret, no limit), so neither side's empty fields are compared.
 */
export function withoutEmptyFields(record: ApiKeyRecord | undefined): Record<string, unknown> | undefined {
  if (!record) return undefined;
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== null && v !== undefined));
}

export function describeApiKeyStoreConformance(makeStore: MakeStore<ApiKeyStore>): void {
  describe("ApiKeyStore conformance", () => {
    it("finds an inserted key by id, exactly as inserted; an unknown id is undefined", async () => {
      const store = await makeStore();
      const key = apiKeyRecord();
      await store.insert(key);
      expect(withoutEmptyFields(await store.findById(key.id))).toEqual(withoutEmptyFields(key));
      expect((await store.findById(key.id))?.revokedMs).toBeNull();
      expect(await store.findById("key_none")).toBeUndefined();
    });

    it("refuses a second key with the same id and keeps the first", async () => {
      const store = await makeStore();
      await store.insert(apiKeyRecord());
      await expect(store.insert(apiKeyRecord({ userId: "mallory", hash: "ff".repeat(32) }))).rejects.toThrow();
      expect((await store.findById("key_a1"))?.userId).toBe("alice");
    });

    it("lists one user's keys in creation order, or everyone's", async () => {
      const store = await makeStore();
      await store.insert(apiKeyRecord({ id: "key_a2", createdMs: 2_000 }));
      await store.insert(apiKeyRecord({ id: "key_b1", userId: "bob", createdMs: 1_500 }));
      await store.insert(apiKeyRecord({ id: "key_a1", createdMs: 1_000 }));
      expect((await store.list("alice")).map((k) => k.id)).toEqual(["key_a1", "key_a2"]);
      expect((await store.list("bob")).map((k) => k.id)).toEqual(["key_b1"]);
      expect((await store.list("carol")).map((k) => k.id)).toEqual([]);
      expect((await store.list()).map((k) => k.id)).toEqual(["key_a1", "key_b1", "key_a2"]);
    });

    it("revokes once: true, then false; an unknown key is false; other keys stay valid", async () => {
      const store = await makeStore();
      await store.insert(apiKeyRecord());
      await store.insert(apiKeyRecord({ id: "key_a2" }));
      expect(await store.revoke("key_a1", 5_000)).toBe(true);
      expect(await store.revoke("key_a1", 6_000)).toBe(false);
      expect(await store.revoke("key_none", 6_000)).toBe(false);
      expect((await store.findById("key_a1"))?.revokedMs).toBe(5_000);
      expect((await store.findById("key_a2"))?.revokedMs).toBeNull();
    });

    it("of concurrent revokes of one key, exactly one reports it", async () => {
      const store = await makeStore();
      await store.insert(apiKeyRecord());
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => store.revoke("key_a1", 5_000 + i)));
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it("sets and replaces one key's webhook secret; an unknown key is false; other keys keep theirs", async () => {
      const store = await makeStore();
      await store.insert(apiKeyRecord());
      await store.insert(apiKeyRecord({ id: "key_a2", webhookSecret: "whsec_a2" }));
      expect(await store.setWebhookSecret("key_a1", "whsec_first")).toBe(true);
      expect((await store.findById("key_a1"))?.webhookSecret).toBe("whsec_first");
      expect(await store.setWebhookSecret("key_a1", "whsec_second")).toBe(true);
      expect((await store.findById("key_a1"))?.webhookSecret).toBe("whsec_second");
      expect((await store.list("alice")).map((k) => k.webhookSecret)).toEqual(["whsec_second", "whsec_a2"]);
      expect(await store.setWebhookSecret("key_none", "whsec_x")).toBe(false);
      expect(await store.findById("key_none")).toBeUndefined();
      // A revoked key's secret can still be rotated (the record exists), as in SQL.
      await store.revoke("key_a1", 6_000);
      expect(await store.setWebhookSecret("key_a1", "whsec_third")).toBe(true);
      expect(withoutEmptyFields(await store.findById("key_a1"))).toEqual(
        withoutEmptyFields(apiKeyRecord({ webhookSecret: "whsec_third", revokedMs: 6_000 })),
      );
    });
  });
}
