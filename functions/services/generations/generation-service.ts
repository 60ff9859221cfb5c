/**
 * Generations: the cost is charged, the identity's cached embedding and keypoints (mapped onto the
 * output canvas) go to the runtime, and the runtime's events become image files, the client's
 * events and, at the end, one stored outcome. Runs on after the HTTP request that started it
 * returns (polling), and stops only on done, error, cancel or shutdown. While it runs, its status,
 * progress and images live here (two database writes per generation, not one per step); get()
 * overlays them on the stored record.
 */
import { decodeBase64 } from "../../../shared/contract/base64.ts";
import { encodeEmbedding } from "../../../shared/contract/embedding.ts";
import type { RuntimeGenerateRequestInput } from "../../../shared/contract/generate-request.ts";
import type { RuntimeEvent } from "../../../shared/contract/runtime-events.ts";
import type { IdGenerator } from "../../crypto/random-id.ts";
import type { Principal } from "../../env.ts";
import { ApiError, notFound } from "../../errors/api-error.ts";
import type { ErrorLog } from "../../middleware/problem/index.ts";
import { costPolicy, generationCost } from "../../rate-limit/key-limits.ts";
import { RuntimeCallError } from "../../runtime-client/runtime-call-error.ts";
import type { RuntimeClient } from "../../runtime-client/runtime-client.ts";
import type { CreateGenerationBody, GenerationEvent } from "../../schemas/generation.ts";
import {
  TERMINAL_STATUSES,
  type GenerationImageRecord,
  type GenerationRecord,
  type GenerationSettings,
  type GenerationStore,
} from "../../stores/generation-store.ts";
import type { IdentityStore } from "../../stores/identity-store.ts";
import type { RateLimitStore } from "../../stores/rate-limit-store.ts";
import type { ResultImageStore } from "../../stores/result-image-store.ts";
import { generationView, imagePath } from "./generation-view.ts";
import { mapKeypoints } from "./map-keypoints.ts";
import { randomSeed as defaultRandomSeed, resolveSettings } from "./resolve-settings.ts";
import { runtimeProblem } from "./runtime-problems.ts";

export type GenerationListener = (event: GenerationEvent) => void;

export interface GenerationServiceDeps {
  readonly identities: IdentityStore;
  readonly generations: GenerationStore;
  readonly images: ResultImageStore;
  readonly rateLimits: RateLimitStore;
  readonly runtime: RuntimeClient;
  readonly clock: () => number;
  readonly newId: IdGenerator;
  readonly log: ErrorLog;
  readonly randomSeed?: () => number;
}

interface Running {
  readonly userId: string;
  readonly abort: AbortController;
  readonly listeners: Set<GenerationListener>;
  status: "queued" | "running";
  step: number;
  readonly images: GenerationImageRecord[];
  done: Promise<void>;
}

const EXTENSIONS: Readonly<Record<string, string>> = { "image/png": "png", "image/jpeg": "jpeg", "image/webp": "webp" };

export class GenerationService {
  readonly #d: GenerationServiceDeps;
  readonly #running = new Map<string, Running>();
  /** The wire form of cached embeddings, computed once per identity record. */
  readonly #encoded = new WeakMap<Float32Array, string>();

  constructor(deps: GenerationServiceDeps) {
    this.#d = deps;
  }

  /**
   * Creates the generation and waits until the runtime accepted it. `listener` sees every event
   * from `queued` on, ending with exactly one `done` or `error`.
   */
  async start(principal: Principal, body: CreateGenerationBody, listener?: GenerationListener): Promise<GenerationRecord> {
    const d = this.#d;
    const { userId } = principal;
    const identity = await d.identities.get(userId, body.identityId);
    if (!identity) throw notFound("identity_not_found", "Identity");
    const pose = body.pose ? await d.identities.get(userId, body.pose.identityId) : undefined;
    if (body.pose && !pose) {
      throw new ApiError(404, "identity_not_found", "Identity not found", { detail: "pose.identityId does not exist" });
    }
    const kpsSource = pose ?? identity;
    const photo = { width: kpsSource.imageWidth, height: kpsSource.imageHeight };
    const settings = resolveSettings(body, photo, d.randomSeed ?? defaultRandomSeed);

    const cost = generationCost(settings);
    const policy = costPolicy(principal.limits);
    const bucket = `cost:${userId}`;
    const decision = await d.rateLimits.take(bucket, policy, cost, d.clock());
    if (!decision.allowed) {
      if (!Number.isFinite(decision.retryAfterSeconds)) {
        throw new ApiError(422, "generation_too_costly", "Generation exceeds the cost limit", {
          detail: `steps x pixels x images = ${cost} exceeds this key's burst of ${policy.capacity}.`,
        });
      }
      const retry = Math.max(1, decision.retryAfterSeconds);
      throw new ApiError(429, "generation_quota_exceeded", "Generation quota exceeded", {
        detail: `Generation cost ${cost} exceeds what is left (${decision.remaining}); retry in ${retry} s.`,
        headers: { "Retry-After": String(retry) },
        extensions: { retryAfterSeconds: retry, cost, remaining: decision.remaining },
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
    await d.generations.insert(record);

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

    const running: Running = {
      userId,
      abort: new AbortController(),
      listeners: new Set(listener ? [listener] : []),
      status: "queued",
      step: 0,
      images: [],
      done: Promise.resolve(),
    };
    this.#running.set(record.id, running);
    if (listener) this.#emit(running, { event: "queued", data: generationView(record) });

    let stream: AsyncIterable<RuntimeEvent>;
    try {
      stream = await d.runtime.generate(request, running.abort.signal);
    } catch (e) {
      this.#running.delete(record.id);
      // Nothing reached the GPU: the cost goes back.
      await d.rateLimits.refund(bucket, policy, cost, d.clock());
      if (running.abort.signal.aborted) {
        await this.#finishAndEmit(running, record.id, userId, "cancelled", "cancelled", "cancelled before the runtime accepted");
        return (await d.generations.get(userId, record.id)) ?? record;
      }
      const problem = e instanceof RuntimeCallError ? runtimeProblem(e) : undefined;
      running.listeners.clear();
      await d.generations.finish(
        record.id,
        { status: "failed", errorCode: problem?.code ?? "internal_error", errorMessage: problem?.detail ?? "internal error" },
        d.clock(),
      );
      if (!problem) throw e;
      throw problem;
    }
    running.done = this.#consume(record.id, running, stream, settings);
    return record;
  }

  async get(userId: string, id: string): Promise<GenerationRecord> {
    const record = await this.#d.generations.get(userId, id);
    if (!record) throw notFound("generation_not_found", "Generation");
    const running = this.#running.get(id);
    if (!running || TERMINAL_STATUSES.has(record.status)) return record;
    return { ...record, status: running.status, progressStep: running.step, images: [...running.images] };
  }

  async image(userId: string, id: string, index: number): Promise<{ bytes: Uint8Array; mimeType: string }> {
    const record = await this.get(userId, id);
    const image = record.images.find((i) => i.index === index);
    const bytes = image ? await this.#d.images.get(image.fileKey) : undefined;
    if (!image || !bytes) throw notFound("image_not_found", "Image");
    return { bytes, mimeType: image.mimeType };
  }

  /** Stops a queued or running generation; the runtime sees its request's connection close. */
  async cancel(userId: string, id: string): Promise<GenerationRecord> {
    const record = await this.get(userId, id);
    if (record.status === "cancelled") return record;
    if (TERMINAL_STATUSES.has(record.status)) {
      throw new ApiError(409, "generation_not_cancellable", "Generation already finished", {
        detail: `The generation has status ${record.status}.`,
      });
    }
    const running = this.#running.get(id);
    await this.#d.generations.finish(
      id,
      {
        status: "cancelled",
        errorCode: "cancelled",
        errorMessage: "cancelled by the client",
        ...(running ? { progressStep: running.step, images: [...running.images] } : {}),
      },
      this.#d.clock(),
    );
    if (running) {
      running.abort.abort(new DOMException("cancelled by the client", "AbortError"));
      await running.done;
    }
    return this.get(userId, id);
  }

  /** Shutdown: every running generation is failed explicitly and its upstream request closed. */
  async close(): Promise<void> {
    const all = [...this.#running.entries()];
    for (const [id, r] of all) {
      await this.#d.generations.finish(
        id,
        {
          status: "failed",
          errorCode: "edge_shutting_down",
          errorMessage: "the edge is shutting down",
          progressStep: r.step,
          images: [...r.images],
        },
        this.#d.clock(),
      );
    }
    for (const [, r] of all) r.abort.abort(new DOMException("edge shutting down", "AbortError"));
    await Promise.all(all.map(([, r]) => r.done));
  }

  #wireEmbedding(embedding: Float32Array): string {
    let b64 = this.#encoded.get(embedding);
    if (b64 === undefined) {
      b64 = encodeEmbedding(embedding);
      this.#encoded.set(embedding, b64);
    }
    return b64;
  }

  get runningCount(): number {
    return this.#running.size;
  }

  async #consume(
    id: string,
    running: Running,
    stream: AsyncIterable<RuntimeEvent>,
    settings: GenerationSettings,
  ): Promise<void> {
    const d = this.#d;
    let terminal = false;
    let drainTimer: ReturnType<typeof setTimeout> | undefined;
    try {
      for await (const ev of stream) {
        // After done/error the runtime ends the stream; reading to its end keeps the connection
        // reusable. Anything more is ignored and the connection closed.
        if (terminal) break;
        terminal = await this.#handle(id, running, ev, settings);
        if (terminal) {
          drainTimer = setTimeout(() => running.abort.abort(new DOMException("runtime kept the stream open", "AbortError")), 5_000);
        }
      }
      if (!terminal) {
        await this.#finishAndEmit(
          running,
          id,
          running.userId,
          "failed",
          "runtime_disconnected",
          "the runtime closed the stream before finishing",
        );
      }
    } catch (e) {
      if (terminal) {
        // The outcome is recorded; a broken tail of the stream changes nothing.
      } else if (running.abort.signal.aborted) {
        // cancel() or close() already stored the outcome; finish() keeps the first one.
        await this.#finishAndEmit(running, id, running.userId, "cancelled", "cancelled", "cancelled");
      } else if (e instanceof RuntimeCallError) {
        await this.#finishAndEmit(running, id, running.userId, "failed", e.code, e.message);
      } else {
        d.log(`generation ${id} failed`, e);
        await this.#finishAndEmit(running, id, running.userId, "failed", "internal_error", "internal error").catch(
          (e2: unknown) => d.log(`generation ${id}: could not record failure`, e2),
        );
      }
    } finally {
      clearTimeout(drainTimer);
      this.#running.delete(id);
      running.listeners.clear();
    }
  }

  /** Returns true on a terminal event. */
  async #handle(id: string, running: Running, ev: RuntimeEvent, settings: GenerationSettings): Promise<boolean> {
    const d = this.#d;
    switch (ev.type) {
      case "accepted":
        running.status = "running";
        return false;
      case "progress":
        running.status = "running";
        running.step = Math.min(ev.data.step, settings.steps);
        this.#emit(running, { event: "progress", data: ev.data });
        return false;
      case "preview":
        this.#emit(running, { event: "preview", data: ev.data });
        return false;
      case "image": {
        const { index, mimeType, width, height, seed, data } = ev.data;
        if (index >= settings.numImages) {
          throw new RuntimeCallError("runtime_protocol_error", `image index ${index} beyond numImages ${settings.numImages}`);
        }
        const fileKey = await d.images.put(id, index, EXTENSIONS[mimeType], decodeBase64(data));
        running.images.push({ index, mimeType, width, height, seed, fileKey });
        this.#emit(running, {
          event: "image",
          data: { index, url: imagePath(id, index), mimeType, width, height, seed, data },
        });
        return false;
      }
      case "done":
        running.step = settings.steps;
        await this.#finishAndEmit(running, id, running.userId, "succeeded");
        return true;
      case "error":
        await this.#finishAndEmit(running, id, running.userId, "failed", ev.data.code, ev.data.message, ev.data.retryable);
        return true;
    }
  }

  async #finishAndEmit(
    running: Running,
    id: string,
    userId: string,
    status: "succeeded" | "failed" | "cancelled",
    errorCode?: string,
    errorMessage?: string,
    retryable = false,
  ): Promise<void> {
    const d = this.#d;
    await d.generations.finish(
      id,
      { status, errorCode, errorMessage, progressStep: running.step, images: [...running.images] },
      d.clock(),
    );
    if (running.listeners.size === 0) return;
    const final = await d.generations.get(userId, id);
    if (final?.status === "succeeded") {
      this.#emit(running, { event: "done", data: generationView(final) });
    } else {
      this.#emit(running, {
        event: "error",
        data: {
          code: final?.errorCode ?? errorCode ?? "internal_error",
          message: final?.errorMessage ?? errorMessage ?? "",
          retryable,
        },
      });
    }
  }

  #emit(running: Running, event: GenerationEvent): void {
    for (const l of running.listeners) {
      try {
        l(event);
      } catch (e) {
        this.#d.log("generation listener threw", e);
      }
    }
  }
}
