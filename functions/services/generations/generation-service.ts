/**
 * Generations: the cost is charged, the identity's cached embedding and keypoints (mapped onto the
 * output canvas) go to the runtime through the generation coordinator (the port that owns a
 * generation until its end: in-process on Node, a Durable Object per generation on Workers), and
 * get() overlays the coordinator's live state on the stored record.
 */
import { encodeEmbedding } from "../../../shared/contract/embedding.ts";
import type { RuntimeGenerateRequestInput } from "../../../shared/contract/generate-request.ts";
import type { IdGenerator } from "../../crypto/random-id.ts";
import type { Principal } from "../../env.ts";
import { ApiError, invalidRequest, notFound } from "../../errors/api-error.ts";
import type { ErrorLog } from "../../middleware/problem/index.ts";
import type { CoordinatedEvent, GenerationCoordinator, GenerationWebhook } from "../../ports/generation-coordinator.ts";
import type { EdgeWebhooks } from "../../webhooks/dispatcher.ts";
import { WebhookUrlError } from "../../webhooks/ssrf.ts";
import { rateLimitItem } from "../../rate-limit/headers.ts";
import { costPolicy, generationCost, inFlightPolicy } from "../../rate-limit/key-limits.ts";
import { RuntimeCallError } from "../../runtime-client/runtime-call-error.ts";
import type { CreateGenerationBody } from "../../schemas/generation.ts";
import {
  TERMINAL_STATUSES,
  type GenerationRecord,
  type GenerationStatus,
  type GenerationStore,
} from "../../stores/generation-store.ts";
import type { Page, PageRequest } from "../../stores/page.ts";
import type { IdentityStore } from "../../stores/identity-store.ts";
import type { RateLimitStore } from "../../stores/rate-limit-store.ts";
import type { ResultImageStore } from "../../stores/result-image-store.ts";
import type { GenerationState } from "./generation-view.ts";
import { replayStored } from "./replay-stored.ts";
import { mapKeypoints } from "./map-keypoints.ts";
import { randomSeed as defaultRandomSeed, resolveSettings } from "./resolve-settings.ts";
import { runtimeProblem } from "./runtime-problems.ts";

const UNFINISHED_STATUSES: readonly GenerationStatus[] = ["queued", "running"];

/** Retry-After of a 429 too_many_concurrent_generations: a slot frees when a generation ends. */
export const IN_FLIGHT_RETRY_SECONDS = 5;

export interface GenerationServiceDeps {
  readonly identities: IdentityStore;
  readonly generations: GenerationStore;
  readonly images: ResultImageStore;
  readonly rateLimits: RateLimitStore;
  readonly coordinator: GenerationCoordinator;
  readonly clock: () => number;
  readonly newId: IdGenerator;
  readonly log: ErrorLog;
  readonly randomSeed?: () => number;
  /** Webhook URL checks (SSRF); absent: generations cannot carry webhookUrl here. */
  readonly webhooks?: Pick<EdgeWebhooks, "checkUrl" | "arm" | "enqueue">;
}

export interface EventsOptions {
  readonly lastEventId?: number;
  readonly signal?: AbortSignal;
  /**
   * The stream of the request that created the generation: the coordinator is asked even when the
   * record already reads finished (a fast runtime can end it before this read), so a coordinator
   * that keeps the whole event log (a Worker's Durable Object) still gives every event.
   */
  readonly creating?: boolean;
}

export class GenerationService {
  readonly #d: GenerationServiceDeps;
  /** The wire form of cached embeddings, computed once per identity record. */
  readonly #encoded = new WeakMap<Float32Array, string>();

  constructor(deps: GenerationServiceDeps) {
    this.#d = deps;
  }

  /**
   * Creates the generation and waits until the runtime accepted it. `rateLimit`: the RateLimit
   * field items of the cost and in-flight policies after this generation took its share.
   */
  async start(principal: Principal, body: CreateGenerationBody): Promise<{ record: GenerationRecord; rateLimit: string }> {
    const d = this.#d;
    const { userId } = principal;
    const webhook = body.webhookUrl === undefined ? undefined : await this.#checkWebhook(body.webhookUrl, principal);
    const identity = await d.identities.get(userId, body.identityId);
    if (!identity) throw notFound("identity_not_found", "Identity");
    const pose = body.pose ? await d.identities.get(userId, body.pose.identityId) : undefined;
    if (body.pose && !pose) {
      throw new ApiError(404, "identity_not_found", "Identity not found", { detail: "pose.identityId does not exist" });
    }
    const kpsSource = pose ?? identity;
    const photo = { width: kpsSource.imageWidth, height: kpsSource.imageHeight };
    const settings = resolveSettings(body, photo, d.randomSeed ?? defaultRandomSeed);

    const slot = { bucket: `inflight:${userId}`, policy: inFlightPolicy(principal.limits) };
    const slotTaken = await d.rateLimits.take(slot.bucket, slot.policy, 1, d.clock());
    if (!slotTaken.allowed) {
      const limit = slot.policy.capacity;
      throw new ApiError(429, "too_many_concurrent_generations", "Too many generations in flight", {
        detail: `This key may have ${limit} generations queued or running at once; one must end first.`,
        headers: { "Retry-After": String(IN_FLIGHT_RETRY_SECONDS), RateLimit: rateLimitItem("inflight", slotTaken) },
        extensions: { policy: "inflight", limit, retryAfterSeconds: IN_FLIGHT_RETRY_SECONDS },
      });
    }
    const cost = generationCost(settings);
    const policy = costPolicy(principal.limits);
    const bucket = `cost:${userId}`;
    const decision = await d.rateLimits.take(bucket, policy, cost, d.clock());
    if (!decision.allowed) {
      await d.rateLimits.refund(slot.bucket, slot.policy, 1, d.clock());
      if (!Number.isFinite(decision.retryAfterSeconds)) {
        throw new ApiError(422, "generation_too_costly", "Generation exceeds the cost limit", {
          detail: `steps x pixels x images = ${cost} exceeds this key's burst of ${policy.capacity}.`,
        });
      }
      const retry = Math.max(1, decision.retryAfterSeconds);
      throw new ApiError(429, "generation_quota_exceeded", "Generation quota exceeded", {
        detail: `Generation cost ${cost} exceeds what is left (${decision.remaining}); retry in ${retry} s.`,
        headers: { "Retry-After": String(retry), RateLimit: rateLimitItem("cost", decision) },
        extensions: { policy: "cost", retryAfterSeconds: retry, cost, remaining: decision.remaining },
      });
    }

    const record: GenerationRecord = {
      id: d.newId("gen"),
      userId,
      identityId: identity.id,
      poseIdentityId: pose?.id ?? null,
      status: "queued",
      settings,
      progressStep: 0,
      progressTotal: settings.steps,
      errorCode: null,
      errorMessage: null,
      images: [],
      createdMs: d.clock(),
      finishedMs: null,
    };
    try {
      await d.generations.insert(record);
    } catch (e) {
      await d.rateLimits.refund(slot.bucket, slot.policy, 1, d.clock());
      await d.rateLimits.refund(bucket, policy, cost, d.clock());
      throw e;
    }
    // Written before the runtime sees it: a process that dies mid-generation still announces its end.
    if (webhook && d.webhooks) await d.webhooks.arm(record, webhook);

    const request: RuntimeGenerateRequestInput = {
      requestId: record.id,
      embedding: this.#wireEmbedding(identity.embedding),
      embeddingPack: identity.pack,
      kps: mapKeypoints(kpsSource.kps, photo, settings),
      prompt: settings.prompt,
      negativePrompt: settings.negativePrompt,
      ...(settings.style !== null ? { style: settings.style } : {}),
      width: settings.width,
      height: settings.height,
      steps: settings.steps,
      guidanceScale: settings.guidanceScale,
      identityStrength: settings.identityStrength,
      adapterStrength: settings.adapterStrength,
      seed: settings.seed,
      scheduler: settings.scheduler,
      numImages: settings.numImages,
      outputFormat: settings.outputFormat,
      ...(settings.preview !== null ? { preview: settings.preview } : {}),
    };

    try {
      await d.coordinator.start({
        generation: record,
        request,
        charge: { bucket, policy, cost, slot },
        ...(webhook ? { webhook } : {}),
      });
    } catch (e) {
      // Nothing reached the GPU: the cost and the slot go back.
      await d.rateLimits.refund(bucket, policy, cost, d.clock());
      await d.rateLimits.refund(slot.bucket, slot.policy, 1, d.clock());
      const problem = e instanceof RuntimeCallError ? runtimeProblem(e) : undefined;
      const outcome = { status: "failed", errorCode: problem?.code ?? "internal_error", errorMessage: problem?.detail ?? "internal error" } as const;
      if (await d.generations.finish(record.id, outcome, d.clock())) {
        if (webhook && d.webhooks) await d.webhooks.enqueue({ ...record, ...outcome, finishedMs: d.clock() }, webhook);
      }
      if (!problem) throw e;
      throw problem;
    }
    return { record, rateLimit: `${rateLimitItem("cost", decision)}, ${rateLimitItem("inflight", slotTaken)}` };
  }

  async get(userId: string, id: string): Promise<GenerationState> {
    const record = await this.#d.generations.get(userId, id);
    if (!record) throw notFound("generation_not_found", "Generation");
    return this.#withLiveState(record);
  }

  /**
   * The user's generations, newest first, one page; each as get() shows it (an unfinished one with
   * its coordinator's live state). A `status` of queued or running is the live status: the store
   * keeps both as unfinished, so such a page is filtered after the overlay and may hold fewer than
   * `limit` generations while `next` still points on.
   */
  async list(userId: string, filter: { identityId?: string; status?: GenerationStatus }, page: PageRequest): Promise<Page<GenerationState>> {
    const live = filter.status !== undefined && !TERMINAL_STATUSES.has(filter.status);
    const stored = await this.#d.generations.list(
      userId,
      {
        ...(filter.identityId !== undefined ? { identityId: filter.identityId } : {}),
        ...(filter.status !== undefined ? { statuses: live ? UNFINISHED_STATUSES : [filter.status] } : {}),
      },
      page,
    );
    const items = await Promise.all(stored.items.map((r) => this.#withLiveState(r)));
    return { items: live ? items.filter((g) => g.status === filter.status) : items, next: stored.next };
  }

  /** An unfinished record with its coordinator's live status, queue position, progress and images. */
  async #withLiveState(record: GenerationRecord): Promise<GenerationState> {
    if (TERMINAL_STATUSES.has(record.status)) return record;
    const live = await this.#d.coordinator.current(record.id);
    if (!live) {
      // Ended between the two reads: the store has the outcome now.
      return (await this.#d.generations.get(record.userId, record.id)) ?? record;
    }
    return {
      ...record,
      status: live.status,
      queuePosition: live.queuePosition,
      progressStep: live.progressStep,
      images: [...live.images],
    };
  }

  /**
   * The generation's events after `lastEventId`: replayed from the coordinator while it runs, or
   * from the stored record (latest progress, every image, the final event) once it has ended.
   */
  async events(userId: string, id: string, options: EventsOptions = {}): Promise<AsyncIterable<CoordinatedEvent>> {
    const d = this.#d;
    const record = await d.generations.get(userId, id);
    if (!record) throw notFound("generation_not_found", "Generation");
    const { creating, ...subscription } = options;
    if (creating || !TERMINAL_STATUSES.has(record.status)) {
      const live = await d.coordinator.subscribe(id, subscription);
      if (live) return live;
    }
    const final = TERMINAL_STATUSES.has(record.status) ? record : await d.generations.get(userId, id);
    return replayStored(final ?? record, d.images, options.lastEventId ?? 0);
  }

  async image(userId: string, id: string, index: number): Promise<{ bytes: Uint8Array; mimeType: string }> {
    const record = await this.get(userId, id);
    const image = record.images.find((i) => i.index === index);
    const bytes = image ? await this.#d.images.get(image.fileKey) : undefined;
    if (!image || !bytes) throw notFound("image_not_found", "Image");
    return { bytes, mimeType: image.mimeType };
  }

  /** Stops a queued or running generation; the runtime sees its request's connection close. */
  async cancel(userId: string, id: string): Promise<GenerationState> {
    const record = await this.get(userId, id);
    if (record.status === "cancelled") return record;
    if (TERMINAL_STATUSES.has(record.status)) {
      throw new ApiError(409, "generation_not_cancellable", "Generation already finished", {
        detail: `The generation has status ${record.status}.`,
      });
    }
    if (!(await this.#d.coordinator.cancel(id))) {
      // Not held by a coordinator (its process is gone): record the cancel directly.
      await this.#d.generations.finish(
        id,
        { status: "cancelled", errorCode: "cancelled", errorMessage: "cancelled by the client" },
        this.#d.clock(),
      );
    }
    return this.get(userId, id);
  }

  /**
   * Removes the generation's images and record; a generation still running is cancelled first.
   */
  async delete(userId: string, id: string): Promise<void> {
    const d = this.#d;
    const { generations, images } = d;
    const record = await this.get(userId, id);
    if (!TERMINAL_STATUSES.has(record.status)) await this.cancel(userId, id).catch(() => undefined);
    const final = (await generations.get(userId, id)) ?? record;
    // The bytes go first: a failure here leaves a record the client can delete again.
    for (const image of final.images) await images.delete(image.fileKey);
    if (!(await generations.delete(userId, id))) throw notFound("generation_not_found", "Generation");
  }

  /** The generation once it has ended, or as it is after `timeoutMs` (Prefer: wait). */
  async waitUntilFinished(userId: string, id: string, timeoutMs: number): Promise<GenerationState> {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), timeoutMs);
    try {
      const events = await this.events(userId, id, { lastEventId: Number.MAX_SAFE_INTEGER - 1, signal: abort.signal });
      // No event passes this filter: the iteration ends when the generation does (or on timeout).
      for await (const _ of events) break;
    } finally {
      clearTimeout(timer);
    }
    return this.get(userId, id);
  }

  /** Shutdown: every running generation is failed explicitly and its upstream request closed. */
  close(): Promise<void> {
    return this.#d.coordinator.close();
  }

  async #checkWebhook(url: string, principal: Principal): Promise<GenerationWebhook> {
    // Only an edge wired without webhook delivery (a Worker without its WEBHOOK_DISPATCHER binding).
    if (!this.#d.webhooks) {
      throw new ApiError(422, "webhooks_unavailable", "Webhooks are not available on this edge", {
        detail: "This edge is deployed without webhook delivery; create the generation without webhookUrl and stream or poll it.",
      });
    }
    const { keyId } = principal;
    try {
      await this.#d.webhooks.checkUrl(url);
    } catch (e) {
      if (!(e instanceof WebhookUrlError)) throw e;
      throw invalidRequest([{ path: "webhookUrl", message: `refused: ${e.message}` }]);
    }
    if (!principal.canSignWebhooks) {
      throw new ApiError(422, "webhook_secret_missing", "This key has no webhook signing secret", {
        detail: `key ${keyId} has no webhook signing secret; create one with: npm run keys -- webhook-secret ${keyId}`,
      });
    }
    return { url, keyId };
  }

  #wireEmbedding(embedding: Float32Array): string {
    let b64 = this.#encoded.get(embedding);
    if (b64 === undefined) {
      b64 = encodeEmbedding(embedding);
      this.#encoded.set(embedding, b64);
    }
    return b64;
  }
}
