/**
 * The webhook dispatcher Durable Object inside workerd: a wake sets its alarm; the alarm sweeps armed
 * deliveries (completing those whose generation ended more than the grace ago, leaving one that just
 * ended to its generation object), attempts what is due and stores the outcome (here a refusal: no
 * WEBHOOK_ALLOW_PRIVATE, so a loopback URL is refused before any fetch), then sets the next alarm to
 * the retry's due time; with nothing pending it sets none.
 */
import { applyD1Migrations, reset, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, expect, it } from "vitest";
import { createD1ApiKeyStore } from "../../../functions/adapters/workers/d1/api-key-store.ts";
import { createD1GenerationStore } from "../../../functions/adapters/workers/d1/generation-store.ts";
import { createD1WebhookOutboxStore } from "../../../functions/adapters/workers/d1/webhook-outbox-store.ts";
import { ARMED_GRACE_MS } from "../../../functions/adapters/workers/durable-objects/webhook-dispatcher-object.ts";
import { ARMED_DUE_MS } from "../../../functions/webhooks/outbox-store.ts";
import { generateWebhookSecret } from "../../../functions/webhooks/signing.ts";
import { apiKeyRecord, generationRecord } from "../../functions/stores/conformance/index.ts";
import { webhookDelivery } from "../../functions/webhooks/outbox-store-conformance.ts";

beforeEach(async () => {
  await reset();
  await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
});

const dispatcher = () => env.WEBHOOK_DISPATCHER!.get(env.WEBHOOK_DISPATCHER!.idFromName("outbox"));
const alarmOf = (stub: ReturnType<typeof dispatcher>) => runInDurableObject(stub, (_instance, state) => state.storage.getAlarm());

/** Reads until `ok` holds (an alarm set to now runs by itself, soon); the test's timeout bounds it. */
async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean): Promise<T> {
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
}

it("sweeps armed deliveries past the grace, attempts what is due, and sleeps until the retry", async () => {
  const outbox = createD1WebhookOutboxStore(env.DB);
  const generations = createD1GenerationStore(env.DB);
  await createD1ApiKeyStore(env.DB).insert(apiKeyRecord({ id: "key_1", webhookSecret: generateWebhookSecret() }));
  const now = Date.now();
  for (const [id, endedMs] of [
    ["gen_old", now - ARMED_GRACE_MS - 10_000],
    ["gen_recent", now],
  ] as const) {
    await generations.insert(generationRecord({ id }));
    await generations.finish(id, { status: "failed", errorCode: "runtime_disconnected", errorMessage: "lost" }, endedMs);
    await outbox.enqueue(
      webhookDelivery(`msg_${id}`, {
        url: "http://127.0.0.1:9/hooks",
        eventType: "armed",
        payload: "",
        nextAttemptMs: ARMED_DUE_MS,
        createdMs: now,
        generationId: id,
        userId: "alice",
      }),
    );
  }

  const stub = dispatcher();
  await stub.wake();
  const old = await until(
    () => outbox.get("msg_gen_old"),
    (d) => d!.attempts > 0,
  );
  expect(old).toMatchObject({ eventType: "generation.failed", attempts: 1, deliveredMs: null, failedMs: null });
  expect(old!.lastError).toMatch(/private|loopback/);
  expect(JSON.parse(old!.payload)).toMatchObject({ type: "generation.failed", data: { id: "gen_old", error: { code: "runtime_disconnected" } } });
  // The first retry is 2.5-5 s after the attempt (default base 5 s, jitter in the upper half).
  expect(old!.nextAttemptMs).toBeGreaterThanOrEqual(now + 2_500);
  expect(old!.nextAttemptMs).toBeLessThanOrEqual(Date.now() + 5_000);
  // Ended just now: left armed for its generation object (which queues it itself).
  expect((await outbox.armed(10)).map((d) => d.id)).toEqual(["msg_gen_recent"]);
  // The next alarm: the retry (sooner than the next sweep, 60 s away).
  await until(() => alarmOf(stub), (at) => at === old!.nextAttemptMs);
});

it("sleeps until the next due delivery, and sets no alarm once nothing is pending", async () => {
  const outbox = createD1WebhookOutboxStore(env.DB);
  const later = Date.now() + 3_600_000;
  await outbox.enqueue(webhookDelivery("msg_later", { nextAttemptMs: later }));
  const stub = dispatcher();
  await stub.wake();
  await until(() => alarmOf(stub), (at) => at === later);
  await outbox.markDelivered("msg_later", Date.now());
  await stub.wake();
  await until(() => alarmOf(stub), (at) => at === null);
  expect(await outbox.nextDueMs()).toBeUndefined();
});
