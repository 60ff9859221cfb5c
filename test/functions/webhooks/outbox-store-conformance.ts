/**
 * What every WebhookOutboxStore (memory, SQLite, D1) must do; the dispatcher relies on each point.
 * Imports only vitest and the store interface (no node:*), so it also runs inside workerd.
 */
import { describe, expect, it } from "vitest";
import { ARMED_DUE_MS, type WebhookDelivery, type WebhookOutboxStore } from "../../../functions/webhooks/outbox-store.ts";
import { settleAll, type MakeStore } from "../stores/conformance/make-store.ts";

export function webhookDelivery(id: string, over: Partial<WebhookDelivery> = {}): WebhookDelivery {
  return {
    id,
    keyId: "key_1",
    url: "https://hooks.example/in",
    eventType: "generation.succeeded",
    payload: `{"id":"${id}"}`,
    attempts: 0,
    nextAttemptMs: 1_000,
    createdMs: 1_000,
    generationId: null,
    userId: null,
    ...over,
  };
}

const armed = (id: string, generationId: string, createdMs = 1_000) =>
  webhookDelivery(id, { eventType: "armed", payload: "", nextAttemptMs: ARMED_DUE_MS, createdMs, generationId, userId: "alice" });

export function describeWebhookOutboxStoreConformance(makeStore: MakeStore<WebhookOutboxStore>): void {
  describe("WebhookOutboxStore conformance", () => {
    it("keeps a delivery as enqueued, pending, until something becomes of it", async () => {
      const store = await makeStore();
      const d = webhookDelivery("msg_1", { generationId: "gen_1", userId: "alice", payload: '{"type":"generation.failed","x":"é"}' });
      await store.enqueue(d);
      expect(await store.get("msg_1")).toEqual({ ...d, deliveredMs: null, failedMs: null, lastError: null });
      await store.enqueue(webhookDelivery("msg_2"));
      expect(await store.get("msg_2")).toMatchObject({ generationId: null, userId: null });
      expect(await store.get("msg_none")).toBeUndefined();
      await expect(store.enqueue(webhookDelivery("msg_1"))).rejects.toThrow();
    });

    it("hands out due deliveries oldest due first, up to the limit, and none before their time", async () => {
      const store = await makeStore();
      await store.enqueue(webhookDelivery("msg_late", { nextAttemptMs: 3_000, createdMs: 1 }));
      await store.enqueue(webhookDelivery("msg_b", { nextAttemptMs: 2_000, createdMs: 20 }));
      await store.enqueue(webhookDelivery("msg_a", { nextAttemptMs: 2_000, createdMs: 10 }));
      await store.enqueue(webhookDelivery("msg_first", { nextAttemptMs: 1_500, createdMs: 30 }));
      expect(await store.due(1_499, 10)).toEqual([]);
      expect((await store.due(2_000, 10)).map((d) => d.id)).toEqual(["msg_first", "msg_a", "msg_b"]);
      expect((await store.due(2_000, 2)).map((d) => d.id)).toEqual(["msg_first", "msg_a"]);
      expect((await store.due(10_000, 10)).map((d) => d.id)).toEqual(["msg_first", "msg_a", "msg_b", "msg_late"]);
    });

    it("says when the next pending delivery is due, ignoring delivered, given-up and armed ones", async () => {
      const store = await makeStore();
      expect(await store.nextDueMs()).toBeUndefined();
      await store.enqueue(armed("msg_armed", "gen_1"));
      expect(await store.nextDueMs()).toBeUndefined();
      await store.enqueue(webhookDelivery("msg_1", { nextAttemptMs: 5_000 }));
      await store.enqueue(webhookDelivery("msg_2", { nextAttemptMs: 4_000 }));
      await store.enqueue(webhookDelivery("msg_3", { nextAttemptMs: 3_000 }));
      expect(await store.nextDueMs()).toBe(3_000);
      await store.markDelivered("msg_3", 3_100);
      expect(await store.nextDueMs()).toBe(4_000);
      await store.markFailed("msg_2", 12, 4_100, "gave up");
      expect(await store.nextDueMs()).toBe(5_000);
    });

    it("a delivered delivery counts its attempt, clears the error and is never due again", async () => {
      const store = await makeStore();
      await store.enqueue(webhookDelivery("msg_1"));
      await store.reschedule("msg_1", 1, 1_500, "receiver answered 503");
      await store.markDelivered("msg_1", 1_600);
      expect(await store.get("msg_1")).toMatchObject({ attempts: 2, deliveredMs: 1_600, failedMs: null, lastError: null });
      expect(await store.due(Number.MAX_SAFE_INTEGER - 1, 10)).toEqual([]);
    });

    it("a rescheduled delivery keeps its attempts, its next time and its error (first 500 characters)", async () => {
      const store = await makeStore();
      await store.enqueue(webhookDelivery("msg_1"));
      await store.reschedule("msg_1", 3, 9_000, "x".repeat(2_000));
      const stored = await store.get("msg_1");
      expect(stored).toMatchObject({ attempts: 3, nextAttemptMs: 9_000, deliveredMs: null, failedMs: null });
      expect(stored!.lastError).toBe("x".repeat(500));
      expect(await store.due(8_999, 10)).toEqual([]);
      expect((await store.due(9_000, 10)).map((d) => d.attempts)).toEqual([3]);
    });

    it("a given-up delivery keeps why and is never due again", async () => {
      const store = await makeStore();
      await store.enqueue(webhookDelivery("msg_1"));
      await store.markFailed("msg_1", 12, 7_000, "receiver answered 410");
      expect(await store.get("msg_1")).toMatchObject({ attempts: 12, failedMs: 7_000, deliveredMs: null, lastError: "receiver answered 410" });
      expect(await store.due(Number.MAX_SAFE_INTEGER - 1, 10)).toEqual([]);
    });

    it("an armed delivery is never due until completed with its payload, once", async () => {
      const store = await makeStore();
      await store.enqueue(armed("msg_b", "gen_b", 2_000));
      await store.enqueue(armed("msg_a", "gen_a", 1_000));
      expect(await store.due(Number.MAX_SAFE_INTEGER - 1, 10)).toEqual([]);
      expect((await store.armed(10)).map((d) => [d.id, d.generationId, d.userId])).toEqual([
        ["msg_a", "gen_a", "alice"],
        ["msg_b", "gen_b", "alice"],
      ]);
      expect((await store.armed(1)).map((d) => d.id)).toEqual(["msg_a"]);

      expect(await store.complete("gen_a", "generation.failed", '{"type":"generation.failed"}', 5_000)).toBe(true);
      expect(await store.complete("gen_a", "generation.succeeded", '{"type":"generation.succeeded"}', 6_000)).toBe(false);
      expect(await store.complete("gen_none", "generation.failed", "{}", 5_000)).toBe(false);
      expect(await store.get("msg_a")).toMatchObject({ eventType: "generation.failed", payload: '{"type":"generation.failed"}', nextAttemptMs: 5_000 });
      expect((await store.armed(10)).map((d) => d.id)).toEqual(["msg_b"]);
      expect((await store.due(5_000, 10)).map((d) => d.id)).toEqual(["msg_a"]);
      expect(await store.nextDueMs()).toBe(5_000);
    });

    it("of 20 concurrent completes of one armed delivery exactly one wins", async () => {
      const store = await makeStore();
      await store.enqueue(armed("msg_1", "gen_1"));
      const { values, errors } = await settleAll(
        Array.from({ length: 20 }, (_, i) => store.complete("gen_1", "generation.succeeded", `{"n":${i}}`, 2_000 + i)),
      );
      expect(errors).toEqual([]);
      expect(values.filter(Boolean)).toHaveLength(1);
      const winner = values.indexOf(true);
      expect(await store.get("msg_1")).toMatchObject({ payload: `{"n":${winner}}`, nextAttemptMs: 2_000 + winner });
    });
  });
}
