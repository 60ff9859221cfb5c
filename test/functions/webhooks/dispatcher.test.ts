/**
 * The dispatcher driven round by round (deliverDue), as a Durable Object alarm drives it on
 * Workers, over the memory stores with a fake receiver and clock: outcomes stored per attempt, the
 * backoff's due times, giving up, and the armed sweep's grace for generations that just ended.
 */
import { describe, expect, it } from "vitest";
import { createMemoryApiKeyStore, createMemoryGenerationStore } from "../../../functions/stores/memory/index.ts";
import { WebhookDispatcher } from "../../../functions/webhooks/dispatcher.ts";
import { createMemoryWebhookOutboxStore } from "../../../functions/webhooks/memory-outbox-store.ts";
import { ARMED_DUE_MS } from "../../../functions/webhooks/outbox-store.ts";
import { generateWebhookSecret } from "../../../functions/webhooks/signing.ts";
import { apiKeyRecord, generationRecord } from "../stores/conformance/index.ts";
import { webhookDelivery } from "./outbox-store-conformance.ts";

async function setUp(answer: () => number) {
  let now = 10_000;
  const outbox = createMemoryWebhookOutboxStore();
  const apiKeys = createMemoryApiKeyStore();
  await apiKeys.insert(apiKeyRecord({ id: "key_1", webhookSecret: generateWebhookSecret() }));
  const sent: { url: string; id: string | null }[] = [];
  let ids = 0;
  const dispatcher = new WebhookDispatcher({
    outbox,
    apiKeys,
    resolveHost: null,
    allowPrivate: false,
    newId: (prefix) => `${prefix}_${++ids}`,
    clock: () => now,
    random: () => 1,
    retryBaseMs: 1_000,
    maxAttempts: 3,
    fetch: async (input, init) => {
      sent.push({ url: String(input), id: new Headers(init?.headers).get("webhook-id") });
      return new Response(null, { status: answer() });
    },
  });
  return { outbox, apiKeys, dispatcher, sent, advance: (ms: number) => (now += ms), now: () => now };
}

describe("WebhookDispatcher.deliverDue", () => {
  it("attempts only what is due and stores each outcome; a refused one is due again after the backoff", async () => {
    let status = 503;
    const t = await setUp(() => status);
    await t.outbox.enqueue(webhookDelivery("msg_now", { nextAttemptMs: 10_000 }));
    await t.outbox.enqueue(webhookDelivery("msg_later", { nextAttemptMs: 20_000 }));
    expect(await t.dispatcher.deliverDue()).toBe(1);
    expect(t.sent.map((s) => s.id)).toEqual(["msg_now"]);
    expect(await t.outbox.get("msg_now")).toMatchObject({ attempts: 1, nextAttemptMs: 11_000, lastError: "receiver answered 503", deliveredMs: null });
    expect(await t.outbox.nextDueMs()).toBe(11_000);
    expect(await t.dispatcher.deliverDue()).toBe(0);
    t.advance(1_000);
    status = 204;
    expect(await t.dispatcher.deliverDue()).toBe(1);
    expect(await t.outbox.get("msg_now")).toMatchObject({ attempts: 2, deliveredMs: 11_000, lastError: null });
    expect(await t.outbox.nextDueMs()).toBe(20_000);
  });

  it("gives up after the last attempt, and at once on a key without a secret", async () => {
    const t = await setUp(() => 500);
    await t.apiKeys.insert(apiKeyRecord({ id: "key_bare", hash: "b2".repeat(32) }));
    await t.outbox.enqueue(webhookDelivery("msg_1", { nextAttemptMs: 10_000 }));
    await t.outbox.enqueue(webhookDelivery("msg_bare", { keyId: "key_bare", nextAttemptMs: 10_000 }));
    for (let i = 0; i < 3; i++) {
      await t.dispatcher.deliverDue();
      t.advance(60_000);
    }
    expect(await t.outbox.get("msg_1")).toMatchObject({ attempts: 3, failedMs: 130_000, lastError: "receiver answered 500" });
    expect(await t.outbox.get("msg_bare")).toMatchObject({ attempts: 1, failedMs: 10_000, lastError: expect.stringMatching(/no webhook secret/) });
    expect(t.sent.map((s) => s.id)).toEqual(["msg_1", "msg_1", "msg_1"]);
    expect(await t.outbox.nextDueMs()).toBeUndefined();
  });

  it("refuses a literal private address at delivery time too, without sending", async () => {
    const t = await setUp(() => 200);
    await t.outbox.enqueue(webhookDelivery("msg_1", { url: "http://[::ffff:a00:1]/in", nextAttemptMs: 10_000 }));
    await t.dispatcher.deliverDue();
    expect(t.sent).toEqual([]);
    expect(await t.outbox.get("msg_1")).toMatchObject({ attempts: 1, deliveredMs: null, lastError: expect.stringMatching(/private/) });
  });
});

describe("WebhookDispatcher.recoverArmed with endedBeforeMs (the Workers sweep)", () => {
  it("completes the armed deliveries of generations that ended by then, leaves the rest armed, gives up deleted ones", async () => {
    const t = await setUp(() => 200);
    const generations = createMemoryGenerationStore();
    const armed = (id: string, generationId: string) =>
      webhookDelivery(id, { eventType: "armed", payload: "", nextAttemptMs: ARMED_DUE_MS, generationId, userId: "alice" });
    for (const [id, status] of [
      ["gen_old", "failed"],
      ["gen_recent", "succeeded"],
      ["gen_running", "running"],
    ] as const) {
      await generations.insert(generationRecord({ id }));
      if (status !== "running") await generations.finish(id, { status }, id === "gen_old" ? 1_000 : 9_000);
      await t.outbox.enqueue(armed(`msg_${id}`, id));
    }
    await t.outbox.enqueue(armed("msg_deleted", "gen_deleted"));

    expect(await t.dispatcher.recoverArmed(generations, { endedBeforeMs: 5_000 })).toBe(1);
    expect(await t.outbox.get("msg_gen_old")).toMatchObject({ eventType: "generation.failed", nextAttemptMs: 10_000 });
    expect(JSON.parse((await t.outbox.get("msg_gen_old"))!.payload)).toMatchObject({ type: "generation.failed", data: { id: "gen_old" } });
    expect(await t.outbox.get("msg_deleted")).toMatchObject({ failedMs: 10_000, lastError: "the generation no longer exists" });
    expect((await t.outbox.armed(10)).map((d) => d.id).sort()).toEqual(["msg_gen_recent", "msg_gen_running"]);

    // Without a bound (Node, at start) every ended generation's delivery is completed.
    expect(await t.dispatcher.recoverArmed(generations)).toBe(1);
    expect((await t.outbox.armed(10)).map((d) => d.id)).toEqual(["msg_gen_running"]);
  });
});
