/**
 * Delivers the outbox: each due delivery is POSTed, signed with its key's current secret; a 2xx
 * marks it delivered, anything else (status, timeout, refused address) schedules a retry after an
 * exponential backoff with full jitter, up to `maxAttempts`. Deliveries are read back from the
 * store on every round, so what a stopped process left pending goes out after the next start.
 * Platform-free: fetch, timers, WebCrypto. On Node its own timer runs the rounds (start/kick); a
 * platform with a durable scheduler calls deliverDue instead (Workers: a Durable Object's alarm).
 */
import type { GenerationWebhook } from "../ports/generation-coordinator.ts";
import { generationView } from "../services/generations/generation-view.ts";
import type { ApiKeyStore } from "../stores/api-key-store.ts";
import { TERMINAL_STATUSES, type GenerationRecord, type GenerationStore } from "../stores/generation-store.ts";
import { ARMED_DUE_MS, type WebhookOutboxStore } from "./outbox-store.ts";
import { signWebhook } from "./signing.ts";
import { checkWebhookUrl, type ResolveHost } from "./ssrf.ts";

export interface WebhookDispatcherOptions {
  readonly outbox: WebhookOutboxStore;
  readonly apiKeys: ApiKeyStore;
  /** null where the platform cannot resolve names (Workers): see checkWebhookUrl. */
  readonly resolveHost: ResolveHost | null;
  readonly allowPrivate: boolean;
  readonly newId: (prefix: string) => string;
  readonly clock?: () => number;
  readonly fetch?: typeof fetch;
  /** First retry after about this long; doubles per attempt (default 5 s). */
  readonly retryBaseMs?: number;
  /** Longest wait between attempts (default 1 h). */
  readonly retryMaxMs?: number;
  /** Attempts before giving up (default 12: about a day with the defaults). */
  readonly maxAttempts?: number;
  /** Per-attempt timeout (default 10 s). */
  readonly timeoutMs?: number;
  readonly random?: () => number;
  readonly log?: (message: string, error?: unknown) => void;
}

/** Deliveries attempted at once per round. */
const ROUND_SIZE = 20;

export const WEBHOOK_EVENT_TYPES = ["generation.succeeded", "generation.failed", "generation.cancelled"] as const;

/** Exponential backoff with full jitter: uniform in [base*2^(n-1)/2, base*2^(n-1)], capped. */
export function retryDelayMs(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export class WebhookDispatcher {
  readonly #o: WebhookDispatcherOptions;
  readonly #clock: () => number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = true;
  /** Resolves when a round delivered or gave up on something (tests, drain). */
  #listeners = new Set<() => void>();

  constructor(options: WebhookDispatcherOptions) {
    this.#o = options;
    this.#clock = options.clock ?? Date.now;
  }

  /**
   * Writes the delivery of a generation that starts now, armed (never due) until it ends, so a
   * process that dies before the end leaves it for recoverArmed after the restart.
   */
  async arm(record: GenerationRecord, webhook: GenerationWebhook): Promise<void> {
    const now = this.#clock();
    await this.#o.outbox.enqueue({
      id: this.#o.newId("msg"),
      keyId: webhook.keyId,
      url: webhook.url,
      eventType: "armed",
      payload: "",
      attempts: 0,
      nextAttemptMs: ARMED_DUE_MS,
      createdMs: now,
      generationId: record.id,
      userId: record.userId,
    });
  }

  /** Makes the delivery of a generation that ended due now (GenerationCoordinator's onSettled). */
  async enqueue(record: GenerationRecord, webhook: GenerationWebhook): Promise<void> {
    const now = this.#clock();
    const eventType = `generation.${record.status}`;
    const payload = JSON.stringify({ type: eventType, timestamp: new Date(now).toISOString(), data: generationView(record) });
    if (!(await this.#o.outbox.complete(record.id, eventType, payload, now))) {
      await this.#o.outbox.enqueue({
        id: this.#o.newId("msg"),
        keyId: webhook.keyId,
        url: webhook.url,
        eventType,
        payload,
        attempts: 0,
        nextAttemptMs: now,
        createdMs: now,
        generationId: record.id,
        userId: record.userId,
      });
    }
    this.kick();
  }

  /**
   * At start, after the store failed what a previous process left unfinished: armed deliveries
   * whose generation has ended are completed from its record (a deleted one is given up).
   * `endedBeforeMs`: only generations that ended by then (a sweep while generations still end, so
   * as not to race the coordinator's own enqueue of one that just ended).
   */
  async recoverArmed(generations: Pick<GenerationStore, "get">, opts: { endedBeforeMs?: number } = {}): Promise<number> {
    let recovered = 0;
    for (const d of await this.#o.outbox.armed(1000)) {
      const record = d.userId && d.generationId ? await generations.get(d.userId, d.generationId) : undefined;
      if (!record) {
        await this.#o.outbox.markFailed(d.id, 0, this.#clock(), "the generation no longer exists");
      } else if (
        TERMINAL_STATUSES.has(record.status) &&
        (opts.endedBeforeMs === undefined || (record.finishedMs ?? Number.POSITIVE_INFINITY) <= opts.endedBeforeMs)
      ) {
        await this.enqueue(record, { url: d.url, keyId: d.keyId });
        recovered++;
      }
    }
    return recovered;
  }

  start(): void {
    this.#stopped = false;
    this.kick();
  }

  /** Stops scheduling; an attempt in progress finishes (its outcome is stored). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  /** Runs a round now (and again after it if kicked meanwhile). */
  kick(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    clearTimeout(this.#timer);
    this.#running = this.#round()
      .then(() => undefined, (e: unknown) => this.#o.log?.("webhook round failed", e))
      .finally(() => {
        this.#running = undefined;
        if (this.#again) {
          this.#again = false;
          this.kick();
        } else void this.#schedule();
      });
  }

  /** Resolves after the next round that settled at least one delivery. */
  settledOnce(): Promise<void> {
    return new Promise((resolve) => this.#listeners.add(resolve));
  }

  async #schedule(): Promise<void> {
    if (this.#stopped) return;
    const next = await this.#o.outbox.nextDueMs();
    if (next === undefined || this.#stopped) return;
    const wait = Math.max(0, Math.min(next - this.#clock(), 2 ** 31 - 1));
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.kick(), wait);
  }

  /**
   * One round without the timer, for a platform that schedules rounds itself: attempts the due
   * deliveries (up to 20 at once) and stores each outcome; returns how many were attempted.
   */
  deliverDue(): Promise<number> {
    return this.#round();
  }

  async #round(): Promise<number> {
    const due = await this.#o.outbox.due(this.#clock(), ROUND_SIZE);
    if (due.length === 0) return 0;
    await Promise.all(due.map((d) => this.#attempt(d)));
    const listeners = [...this.#listeners];
    this.#listeners.clear();
    for (const l of listeners) l();
    return due.length;
  }

  async #attempt(d: Awaited<ReturnType<WebhookOutboxStore["due"]>>[number]): Promise<void> {
    const o = this.#o;
    const attempts = d.attempts + 1;
    let error: string;
    try {
      const key = await o.apiKeys.findById(d.keyId);
      const secret = key?.webhookSecret;
      if (!key || key.revokedMs !== null || !secret) {
        await o.outbox.markFailed(d.id, attempts, this.#clock(), "the key is revoked or has no webhook secret");
        return;
      }
      await checkWebhookUrl(d.url, o.resolveHost, o.allowPrivate);
      const headers = await signWebhook(secret, d.id, this.#clock() / 1000, d.payload);
      const res = await (o.fetch ?? fetch)(d.url, {
        method: "POST",
        headers: { "content-type": "application/json", "user-agent": "instantid-edge-webhooks", ...headers },
        body: d.payload,
        redirect: "manual",
        signal: AbortSignal.timeout(o.timeoutMs ?? 10_000),
      });
      await res.body?.cancel().catch(() => undefined);
      if (res.status >= 200 && res.status < 300) {
        await o.outbox.markDelivered(d.id, this.#clock());
        return;
      }
      error = `receiver answered ${res.status}`;
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    if (attempts >= (o.maxAttempts ?? 12)) {
      await o.outbox.markFailed(d.id, attempts, this.#clock(), error);
      return;
    }
    const delay = retryDelayMs(attempts, o.retryBaseMs ?? 5_000, o.retryMaxMs ?? 3_600_000, o.random ?? Math.random);
    await o.outbox.reschedule(d.id, attempts, this.#clock() + delay, error);
  }
}

/** What the core needs of webhooks: a URL check at creation, and the delivery of an ended generation. */
export interface EdgeWebhooks {
  /** Throws WebhookUrlError when the URL is refused. */
  checkUrl(url: string): Promise<void>;
  /** Before the generation starts: its delivery is written, armed until it ends. */
  arm(record: GenerationRecord, webhook: GenerationWebhook): Promise<void>;
  enqueue(record: GenerationRecord, webhook: GenerationWebhook): Promise<void>;
}

export function edgeWebhooksOf(d: WebhookDispatcher, resolveHost: ResolveHost | null, allowPrivate: boolean): EdgeWebhooks {
  return {
    checkUrl: async (url) => {
      await checkWebhookUrl(url, resolveHost, allowPrivate);
    },
    arm: (record, webhook) => d.arm(record, webhook),
    enqueue: (record, webhook) => d.enqueue(record, webhook),
  };
}

/** The coordinator's onSettled: a generation that carried a webhook gets its delivery queued. */
export function settledToWebhooks(webhooks: Pick<EdgeWebhooks, "enqueue">) {
  return async (record: GenerationRecord, webhook: GenerationWebhook | undefined): Promise<void> => {
    if (webhook) await webhooks.enqueue(record, webhook);
  };
}
