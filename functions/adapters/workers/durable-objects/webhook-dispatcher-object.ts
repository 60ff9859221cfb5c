/**
 * Webhooks on the Workers edge: the outbox is in D1 (as on Node it is in the SQLite file) and one
 * Durable Object, a singleton, delivers it from its alarm with the core's WebhookDispatcher (same
 * payloads, signatures, retries with backoff and give-up as on Node).
 *
 * - The edge and the generation objects write the outbox (armed when a generation starts,
 *   completed when it ends) and then wake the dispatcher: wake() sets its alarm to now.
 * - alarm() attempts what is due (20 at once), then sets the alarm to the outbox's next due time.
 *   While armed deliveries exist it also comes back at least every WEBHOOK_SWEEP_MS and completes
 *   those whose generation ended more than ARMED_GRACE_MS ago without its delivery being made due
 *   (the generation's object died between storing the end and writing the outbox, or its wake was
 *   lost), as Node's recoverArmed does at start.
 * - Restart-safe: the outbox and the alarm are durable. An alarm whose isolate dies is run again
 *   by the platform; an attempt it had not recorded is made again with the same webhook-id
 *   (at-least-once, deduplicated by the receiver).
 *
 * SSRF: Workers has no DNS API, so only literal addresses and localhost names are checked
 * (functions/webhooks/ssrf.ts); WEBHOOK_ALLOW_PRIVATE=1 lifts that for tests.
 */
import { DurableObject } from "cloudflare:workers";
import type { SettleDeps } from "../../../coordinator/settle.ts";
import { randomId } from "../../../crypto/random-id.ts";
import type { ApiKeyStore } from "../../../stores/api-key-store.ts";
import { edgeWebhooksOf, settledToWebhooks, WebhookDispatcher, type EdgeWebhooks } from "../../../webhooks/dispatcher.ts";
import type { WebhookOutboxStore } from "../../../webhooks/outbox-store.ts";
import { createD1ApiKeyStore } from "../d1/api-key-store.ts";
import { createD1GenerationStore } from "../d1/generation-store.ts";
import { createD1WebhookOutboxStore } from "../d1/webhook-outbox-store.ts";
import type { WorkerEnv } from "../env.ts";

/** How often armed deliveries are checked while any exist. */
export const WEBHOOK_SWEEP_MS = 60_000;
/** An armed delivery is completed by the sweep only once its generation ended this long ago. */
export const ARMED_GRACE_MS = 30_000;
/** After a round that failed (D1 unreachable), the next alarm waits at least this long. */
const FAILED_ROUND_PAUSE_MS = 5_000;
/** The one dispatcher object's name. */
const SINGLETON = "outbox";

const log = (message: string, error?: unknown) =>
  console.error(message, error instanceof Error ? `${error.name}: ${error.message}` : "");

function dispatcherOf(env: WorkerEnv, outbox: WebhookOutboxStore, apiKeys: ApiKeyStore): WebhookDispatcher {
  const retryBaseMs = Number(env.WEBHOOK_RETRY_BASE_MS);
  return new WebhookDispatcher({
    outbox,
    apiKeys,
    resolveHost: null,
    allowPrivate: env.WEBHOOK_ALLOW_PRIVATE === "1",
    newId: randomId,
    log,
    ...(retryBaseMs > 0 ? { retryBaseMs } : {}),
  });
}

export class WebhookDispatcherObject extends DurableObject<WorkerEnv> {
  readonly #outbox: WebhookOutboxStore;
  readonly #dispatcher: WebhookDispatcher;
  #lastSweepMs = 0;
  /** A wake arrived while an alarm ran: the next alarm is now, whatever that one computed. */
  #woken = false;

  constructor(ctx: DurableObjectState, env: WorkerEnv) {
    super(ctx, env);
    this.#outbox = createD1WebhookOutboxStore(env.DB);
    this.#dispatcher = dispatcherOf(env, this.#outbox, createD1ApiKeyStore(env.DB));
  }

  /** Something was written to the outbox: the alarm runs now (or sooner, if it already would). */
  async wake(): Promise<void> {
    this.#woken = true;
    const now = Date.now();
    const at = await this.ctx.storage.getAlarm();
    if (at === null || at > now) await this.ctx.storage.setAlarm(now);
  }

  override async alarm(): Promise<void> {
    this.#woken = false;
    let failed = false;
    try {
      const now = Date.now();
      if (now - this.#lastSweepMs >= WEBHOOK_SWEEP_MS) {
        this.#lastSweepMs = now;
        await this.#dispatcher.recoverArmed(createD1GenerationStore(this.env.DB), { endedBeforeMs: now - ARMED_GRACE_MS });
      }
      await this.#dispatcher.deliverDue();
    } catch (e) {
      // Every attempt's outcome is stored as it ends; what failed here is retried by the next alarm.
      failed = true;
      log("webhook delivery round failed", e);
    }
    // A throw from here (D1 unreachable) fails the alarm, which the platform runs again.
    const now = Date.now();
    const next = await this.#outbox.nextDueMs();
    const armed = (await this.#outbox.armed(1)).length > 0;
    const at = this.#woken ? now : Math.min(next ?? Infinity, armed ? this.#lastSweepMs + WEBHOOK_SWEEP_MS : Infinity);
    if (Number.isFinite(at)) await this.ctx.storage.setAlarm(Math.max(failed ? now + FAILED_ROUND_PAUSE_MS : now, at));
  }
}

/**
 * The core's webhooks on Workers: the URL check, and outbox writes followed by a wake of the
 * dispatcher object. Undefined without the WEBHOOK_DISPATCHER binding (a webhookUrl is then
 * refused with 422 webhooks_unavailable).
 */
export function createWorkerWebhooks(env: WorkerEnv): EdgeWebhooks | undefined {
  const ns = env.WEBHOOK_DISPATCHER;
  if (!ns) return undefined;
  // Never started: it only writes the outbox here; the dispatcher object delivers.
  const writer = edgeWebhooksOf(
    dispatcherOf(env, createD1WebhookOutboxStore(env.DB), createD1ApiKeyStore(env.DB)),
    null,
    env.WEBHOOK_ALLOW_PRIVATE === "1",
  );
  const wake = async () => {
    try {
      await ns.get(ns.idFromName(SINGLETON)).wake();
    } catch (e) {
      // The delivery is in the outbox: the next wake, or the next alarm (it comes back at least every
      // WEBHOOK_SWEEP_MS while armed deliveries exist), sends it.
      log("webhook dispatcher wake failed", e);
    }
  };
  return {
    checkUrl: writer.checkUrl,
    async arm(record, webhook) {
      await writer.arm(record, webhook);
      await wake();
    },
    async enqueue(record, webhook) {
      await writer.enqueue(record, webhook);
      await wake();
    },
  };
}

/** For a generation object's settleGeneration: a generation that carried a webhook gets its delivery queued. */
export function webhookSettleHook(env: WorkerEnv): Pick<SettleDeps, "onSettled"> {
  const webhooks = createWorkerWebhooks(env);
  return webhooks ? { onSettled: settledToWebhooks(webhooks) } : {};
}
