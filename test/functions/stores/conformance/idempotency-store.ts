import { describe, expect, it } from "vitest";
import type { IdempotencyStore, StoredResponse } from "../../../../functions/stores/idempotency-store.ts";
import { settleAll, type MakeStore } from "./make-store.ts";

const TTL = 60_000;
const RESPONSE: StoredResponse = { status: 201, contentType: "application/json", location: "/v1/identities/idn_1", body: '{"id":"idn_1"}' };

export function describeIdempotencyStoreConformance(makeStore: MakeStore<IdempotencyStore>): void {
  describe("IdempotencyStore conformance", () => {
    it("goes started -> in_progress -> replay of the stored response", async () => {
      const store = await makeStore();
      expect(await store.begin("alice", "k1", "fp", 1_000, TTL)).toEqual({ kind: "started" });
      expect(await store.begin("alice", "k1", "fp", 1_100, TTL)).toEqual({ kind: "in_progress" });
      await store.complete("alice", "k1", RESPONSE);
      expect(await store.begin("alice", "k1", "fp", 1_200, TTL)).toEqual({ kind: "replay", response: RESPONSE });
      // A response without a Location header comes back without one.
      expect(await store.begin("alice", "k2", "fp", 1_000, TTL)).toEqual({ kind: "started" });
      await store.complete("alice", "k2", { ...RESPONSE, status: 200, location: null });
      expect(await store.begin("alice", "k2", "fp", 1_300, TTL)).toEqual({ kind: "replay", response: { ...RESPONSE, status: 200, location: null } });
    });

    it("answers mismatch for the same key with another request, in progress or done", async () => {
      const store = await makeStore();
      await store.begin("alice", "k1", "fp", 1_000, TTL);
      expect(await store.begin("alice", "k1", "other", 1_100, TTL)).toEqual({ kind: "mismatch" });
      await store.complete("alice", "k1", RESPONSE);
      expect(await store.begin("alice", "k1", "other", 1_200, TTL)).toEqual({ kind: "mismatch" });
    });

    it("keys are scoped: the same key in another scope is a new request", async () => {
      const store = await makeStore();
      await store.begin("alice", "k1", "fp", 1_000, TTL);
      await store.complete("alice", "k1", RESPONSE);
      expect(await store.begin("bob", "k1", "fp", 1_100, TTL)).toEqual({ kind: "started" });
    });

    it("release frees a pending key for a retry, but never a completed one", async () => {
      const store = await makeStore();
      await store.begin("alice", "k1", "fp", 1_000, TTL);
      await store.release("alice", "k1");
      expect(await store.begin("alice", "k1", "other", 1_100, TTL)).toEqual({ kind: "started" });
      await store.complete("alice", "k1", RESPONSE);
      await store.release("alice", "k1");
      expect(await store.begin("alice", "k1", "other", 1_200, TTL)).toEqual({ kind: "replay", response: RESPONSE });
      await store.release("alice", "never-begun");
    });

    it("forgets a key after its time to live, done or not", async () => {
      const store = await makeStore();
      await store.begin("alice", "done", "fp", 1_000, TTL);
      await store.complete("alice", "done", RESPONSE);
      await store.begin("alice", "stuck", "fp", 1_000, TTL);
      expect(await store.begin("alice", "done", "fp", 1_000 + TTL - 1, TTL)).toMatchObject({ kind: "replay" });
      expect(await store.begin("alice", "done", "other", 1_000 + TTL, TTL)).toEqual({ kind: "started" });
      expect(await store.begin("alice", "stuck", "fp", 1_000 + TTL, TTL)).toEqual({ kind: "started" });
    });

    it("of 50 concurrent begins with one key, exactly one is started and the rest see it in progress", async () => {
      const store = await makeStore();
      const { values, errors } = await settleAll(Array.from({ length: 50 }, () => store.begin("alice", "k1", "fp", 1_000, TTL)));
      expect(errors).toEqual([]);
      expect(values.filter((v) => v.kind === "started")).toHaveLength(1);
      expect(values.filter((v) => v.kind === "in_progress")).toHaveLength(49);
    });
  });
}
