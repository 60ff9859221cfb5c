/**
 * One Durable Object per generation (named by the generation id): it owns the runtime stream, so
 * the generation outlives the request that started it and any number of requests, from any
 * isolate, can follow it. Inside, the core's InProcessGenerationCoordinator does the work (same
 * events, ids, storage of the outcome and refunds as on Node); this object adds what a Worker
 * needs around it:
 * - progress is persisted (status, step, images, last event id) on every event, so `current`
 *   answers from storage too;
 * - an alarm checks the stream: a runtime silent for GENERATION_SILENCE_MS fails the generation
 *   (runtime_disconnected), and a generation whose object lost its memory (evicted, restarted)
 *   while it ran is failed explicitly instead of staying "running" for ever;
 * - subscribers get the events as a byte stream of JSON lines (RPC returns streams, not iterables),
 *   from this object's own feed, which keeps every event of the generation (not only the latest
 *   progress) and outlives the coordinator's hold on it: the creating request subscribes only after
 *   start() came back over RPC, when a fast runtime's first events (or all of them) are already in,
 *   and it still gets each one, in order.
 */
import { DurableObject } from "cloudflare:workers";
import { EventFeed } from "../../../coordinator/event-feed.ts";
import { InProcessGenerationCoordinator } from "../../../coordinator/in-process-coordinator.ts";
import { settleGeneration } from "../../../coordinator/settle.ts";
import type { LiveGeneration, StartGeneration } from "../../../ports/generation-coordinator.ts";
import { createFetchRuntimeClient } from "../../../runtime-client/fetch-runtime-client.ts";
import { RuntimeCallError, type RuntimeCallErrorCode } from "../../../runtime-client/runtime-call-error.ts";
import { createD1GenerationStore } from "../d1/generation-store.ts";
import { createDurableRateLimitStore } from "./user-limiter.ts";
import { webhookSettleHook } from "./webhook-dispatcher-object.ts";
import type { WorkerEnv } from "../env.ts";
import { createR2ResultImageStore } from "../r2/result-image-store.ts";
import { watchSilence, type SilenceWatchedRuntime } from "../silence-watch.ts";

export const DEFAULT_SILENCE_MS = 120_000;

/** What crosses RPC when the runtime refused: RuntimeCallError's fields (RPC keeps only name and message). */
export type StartResult =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly error: {
        readonly code: RuntimeCallErrorCode;
        readonly message: string;
        readonly runtimeCode?: string;
        readonly retryAfterSeconds?: number;
      };
    };

interface Persisted {
  readonly input: StartGeneration;
  readonly live: LiveGeneration;
  readonly lastEventAt: number;
  readonly ended: boolean;
}

const STATE_KEY = "generation";

export class GenerationObject extends DurableObject<WorkerEnv> {
  readonly #runtime: SilenceWatchedRuntime;
  readonly #coordinator: InProcessGenerationCoordinator;
  readonly #silenceMs: number;
  #state: Persisted | undefined;
  /** Every event of the generation this instance started (memory only: a restarted object has none). */
  #feed: EventFeed | undefined;

  constructor(ctx: DurableObjectState, env: WorkerEnv) {
    super(ctx, env);
    this.#silenceMs = Number(env.GENERATION_SILENCE_MS ?? DEFAULT_SILENCE_MS);
    this.#runtime = watchSilence(createFetchRuntimeClient({ baseUrl: env.RUNTIME_URL, token: env.RUNTIME_TOKEN }));
    this.#runtime.onEvent = () => this.#heard();
    this.#coordinator = new InProcessGenerationCoordinator({
      generations: createD1GenerationStore(env.DB),
      rateLimits: createDurableRateLimitStore(env.USER_LIMITER),
      images: createR2ResultImageStore(env.IMAGES),
      runtime: this.#runtime,
      clock: Date.now,
      ...webhookSettleHook(env),
      log: (message, error) => console.error(message, error instanceof Error ? error.message : ""),
      newFeed: () => (this.#feed = new EventFeed({ retain: "all" })),
    });
    void ctx.blockConcurrencyWhile(async () => {
      this.#state = await ctx.storage.get<Persisted>(STATE_KEY);
    });
  }

  /** Takes the generation over and sends it to the runtime; resolves once the runtime accepted it. */
  async start(input: StartGeneration): Promise<StartResult> {
    if (this.#state) throw new Error(`generation ${input.generation.id} was already started`);
    const id = input.generation.id;
    this.#save({
      input,
      live: { status: "queued", queuePosition: null, progressStep: 0, images: [], lastEventId: 0 },
      lastEventAt: Date.now(),
      ended: false,
    });
    await this.ctx.storage.setAlarm(Date.now() + this.#checkEveryMs());
    try {
      await this.#coordinator.start(input);
    } catch (e) {
      // Refused: nothing ran; a subscriber gets the stored (failed) record instead.
      this.#feed = undefined;
      this.#save({ ...this.#state!, ended: true });
      await this.ctx.storage.deleteAlarm();
      if (e instanceof RuntimeCallError) {
        return {
          ok: false,
          error: {
            code: e.code,
            message: e.message,
            ...(e.runtimeCode !== undefined ? { runtimeCode: e.runtimeCode } : {}),
            ...(e.retryAfterSeconds !== undefined ? { retryAfterSeconds: e.retryAfterSeconds } : {}),
          },
        };
      }
      throw e;
    }
    void this.#follow(id);
    return { ok: true };
  }

  /**
   * The events after `lastEventId` as JSON lines, live until the end (or, once ended, the whole
   * log); null when this object has no events of the generation (never started here, refused, or
   * its memory is gone): the caller then replays the stored record.
   */
  async subscribe(lastEventId: number): Promise<ReadableStream<Uint8Array> | null> {
    const feed = this.#feed;
    if (!this.#state || !feed) return null;
    const iterator = feed.subscribe(lastEventId)[Symbol.asyncIterator]();
    const encoder = new TextEncoder();
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        const next = await iterator.next();
        if (next.done) controller.close();
        else controller.enqueue(encoder.encode(`${JSON.stringify(next.value)}\n`));
      },
      async cancel() {
        await iterator.return?.();
      },
    });
  }

  async current(): Promise<LiveGeneration | null> {
    const s = this.#state;
    if (!s) return null;
    return (await this.#coordinator.current(s.input.generation.id)) ?? null;
  }

  async cancel(): Promise<boolean> {
    const s = this.#state;
    if (!s) return false;
    if (await this.#coordinator.cancel(s.input.generation.id)) return true;
    if (s.ended) return false;
    // Not held in memory (the object restarted) yet never ended: end it from what was persisted.
    await this.#settleLost("cancelled", "cancelled", "cancelled by the client");
    return true;
  }

  override async alarm(): Promise<void> {
    const s = this.#state;
    if (!s || s.ended) return;
    const id = s.input.generation.id;
    const held = await this.#coordinator.current(id);
    if (!held) {
      await this.#settleLost("failed", "runtime_disconnected", "the generation's edge object restarted while it ran");
      return;
    }
    const silent = Date.now() - s.lastEventAt;
    if (silent >= this.#silenceMs) {
      this.#runtime.fail(id, silent);
      return;
    }
    await this.ctx.storage.setAlarm(Date.now() + this.#checkEveryMs());
  }

  /** Persists the live state after every event until the end. */
  async #follow(id: string): Promise<void> {
    const events = this.#feed?.subscribe(0);
    if (events) {
      for await (const ev of events) {
        const live = await this.#coordinator.current(id);
        if (live) this.#save({ ...this.#state!, live });
        if (ev.event === "done" || ev.event === "error") break;
      }
    }
    this.#save({ ...this.#state!, ended: true });
    await this.ctx.storage.deleteAlarm();
  }

  async #settleLost(status: "failed" | "cancelled", code: string, message: string): Promise<void> {
    const s = this.#state!;
    const g = s.input.generation;
    this.#save({ ...s, ended: true });
    // A variable, not a literal: `record` is what the settlement is written over (the core's newer
    // Settlement needs it; an older one ignores it).
    const settlement = {
      id: g.id,
      userId: g.userId,
      record: g,
      steps: g.settings.steps,
      outcome: { status, errorCode: code, errorMessage: message, progressStep: s.live.progressStep, images: [...s.live.images] },
      ...(s.input.charge ? { charge: s.input.charge } : {}),
      ...(s.input.webhook ? { webhook: s.input.webhook } : {}),
    };
    await settleGeneration(
      {
        generations: createD1GenerationStore(this.env.DB),
        rateLimits: createDurableRateLimitStore(this.env.USER_LIMITER),
        clock: Date.now,
        ...webhookSettleHook(this.env),
      },
      settlement,
    );
    await this.ctx.storage.deleteAlarm();
  }

  #heard(): void {
    if (this.#state && !this.#state.ended) this.#state = { ...this.#state, lastEventAt: Date.now() };
  }

  #checkEveryMs(): number {
    return Math.max(1_000, Math.min(30_000, Math.floor(this.#silenceMs / 2)));
  }

  #save(state: Persisted): void {
    this.#state = state;
    // Not awaited: the output gate holds this object's replies until the write is durable.
    void this.ctx.storage.put(STATE_KEY, state);
  }
}
