/**
 * The generation coordinator for one edge process (Node): a map of the generations this process
 * started, each owning its runtime stream, live state and subscribers. Platform-free: it touches
 * only the runtime client and store ports. While a generation runs its progress lives here (two
 * database writes per generation, not one per step); the end is stored by settleGeneration.
 */
import { decodeBase64 } from "../../shared/contract/base64.ts";
import type { RuntimeEvent } from "../../shared/contract/runtime-events.ts";
import type { ErrorLog } from "../middleware/problem/index.ts";
import type {
  CoordinatedEvent,
  GenerationCoordinator,
  LiveGeneration,
  StartGeneration,
  SubscribeOptions,
} from "../ports/generation-coordinator.ts";
import { RuntimeCallError } from "../runtime-client/runtime-call-error.ts";
import type { RuntimeClient } from "../runtime-client/runtime-client.ts";
import type { GenerationEvent } from "../schemas/generation.ts";
import { generationView, imagePath } from "../services/generations/generation-view.ts";
import type { GenerationImageRecord, GenerationRecord } from "../stores/generation-store.ts";
import type { ResultImageStore } from "../stores/result-image-store.ts";
import { eventIdOf } from "./event-ids.ts";
import { EventFeed } from "./event-feed.ts";
import { settleGeneration, type SettleDeps } from "./settle.ts";

export interface InProcessCoordinatorDeps extends SettleDeps {
  readonly images: ResultImageStore;
  readonly runtime: RuntimeClient;
  readonly log: ErrorLog;
  /** How long a finished runtime stream may stay open before the edge closes it. */
  readonly drainMs?: number;
  /**
   * Makes the event feed of a generation as it starts (default: a feed replaying the latest
   * events). A holder that must answer subscribers after the generation is forgotten here, or
   * replay every event, makes and keeps its own (the Workers edge's Durable Object does both).
   */
  readonly newFeed?: (generation: GenerationRecord) => EventFeed;
}

const EXTENSIONS: Readonly<Record<string, string>> = { "image/png": "png", "image/jpeg": "jpeg", "image/webp": "webp" };

interface Running {
  readonly input: StartGeneration;
  readonly record: GenerationRecord;
  readonly abort: AbortController;
  readonly feed: EventFeed;
  status: "queued" | "running";
  queuePosition: number | null;
  queuedUpdates: number;
  step: number;
  readonly images: GenerationImageRecord[];
  /** Set once an outcome is being stored, so a cancel racing the end does not store a second one. */
  ending: boolean;
  done: Promise<void>;
}

export class InProcessGenerationCoordinator implements GenerationCoordinator {
  readonly #d: InProcessCoordinatorDeps;
  readonly #running = new Map<string, Running>();

  constructor(deps: InProcessCoordinatorDeps) {
    this.#d = deps;
  }

  get size(): number {
    return this.#running.size;
  }

  async start(input: StartGeneration): Promise<void> {
    const d = this.#d;
    const record = input.generation;
    const running: Running = {
      input,
      record,
      abort: new AbortController(),
      feed: d.newFeed?.(record) ?? new EventFeed(),
      status: "queued",
      queuePosition: null,
      queuedUpdates: 0,
      step: 0,
      images: [],
      ending: false,
      done: Promise.resolve(),
    };
    this.#running.set(record.id, running);
    this.#emit(running, { event: "queued", data: generationView(record) });

    let stream: AsyncIterable<RuntimeEvent>;
    try {
      stream = await d.runtime.generate(input.request, running.abort.signal);
    } catch (e) {
      if (running.abort.signal.aborted && running.ending) {
        // cancel() or close() stored the outcome and emitted the end while the runtime was called.
        this.#forget(record.id, running);
        return;
      }
      this.#forget(record.id, running);
      throw e;
    }
    running.done = this.#consume(running, stream);
  }

  async subscribe(id: string, options: SubscribeOptions = {}): Promise<AsyncIterable<CoordinatedEvent> | undefined> {
    const running = this.#running.get(id);
    if (!running) return undefined;
    return running.feed.subscribe(options.lastEventId ?? 0, options.signal);
  }

  async current(id: string): Promise<LiveGeneration | undefined> {
    const r = this.#running.get(id);
    if (!r || r.ending) return undefined;
    return {
      status: r.status,
      queuePosition: r.queuePosition,
      progressStep: r.step,
      images: [...r.images],
      lastEventId: r.feed.lastId,
    };
  }

  async cancel(id: string): Promise<boolean> {
    const running = this.#running.get(id);
    if (!running) return false;
    if (!running.ending) {
      await this.#end(running, "cancelled", "cancelled", "cancelled by the client");
    }
    running.abort.abort(new DOMException("cancelled by the client", "AbortError"));
    await running.done;
    return true;
  }

  async close(): Promise<void> {
    const all = [...this.#running.values()];
    for (const r of all) {
      if (!r.ending) await this.#end(r, "failed", "edge_shutting_down", "the edge is shutting down", true);
    }
    for (const r of all) r.abort.abort(new DOMException("edge shutting down", "AbortError"));
    await Promise.all(all.map((r) => r.done));
  }

  #forget(id: string, running: Running): void {
    if (this.#running.get(id) === running) this.#running.delete(id);
    running.feed.close();
  }

  async #consume(running: Running, stream: AsyncIterable<RuntimeEvent>): Promise<void> {
    const d = this.#d;
    const id = running.record.id;
    let terminal = false;
    let drainTimer: ReturnType<typeof setTimeout> | undefined;
    try {
      for await (const ev of stream) {
        // After done/error the runtime ends the stream; reading to its end keeps the connection
        // reusable. Anything more is ignored and the connection closed.
        if (terminal || running.ending) break;
        terminal = await this.#handle(running, ev);
        if (terminal) {
          drainTimer = setTimeout(
            () => running.abort.abort(new DOMException("runtime kept the stream open", "AbortError")),
            d.drainMs ?? 5_000,
          );
        }
      }
      if (!terminal && !running.ending) {
        await this.#end(running, "failed", "runtime_disconnected", "the runtime closed the stream before finishing", true);
      }
    } catch (e) {
      if (terminal || running.ending) {
        // The outcome is stored; a broken tail of the stream changes nothing.
      } else if (e instanceof RuntimeCallError) {
        // A runtime that died, restarts or is busy: the same generation can be sent again.
        const retryable = e.code === "runtime_unavailable" || e.code === "runtime_disconnected" || e.code === "runtime_busy";
        await this.#end(running, "failed", e.code, e.message, retryable);
      } else {
        d.log(`generation ${id} failed`, e);
        await this.#end(running, "failed", "internal_error", "internal error").catch((e2: unknown) =>
          d.log(`generation ${id}: could not record failure`, e2),
        );
      }
    } finally {
      clearTimeout(drainTimer);
      this.#forget(id, running);
    }
  }

  /** Returns true on a terminal event. */
  async #handle(running: Running, ev: RuntimeEvent): Promise<boolean> {
    const settings = running.record.settings;
    switch (ev.type) {
      case "accepted":
      case "queued":
        // Waiting behind `queuePosition` requests (0: next); running only once the runtime says so.
        if (running.status === "queued" && running.queuePosition !== ev.data.queuePosition) {
          const first = running.queuePosition === null;
          running.queuePosition = ev.data.queuePosition;
          // A client already has the queued event; a new one only says the place changed.
          if (!first || ev.data.queuePosition > 0) this.#emit(running, { event: "queued", data: this.#view(running) });
        }
        return false;
      case "started":
        running.status = "running";
        running.queuePosition = null;
        return false;
      case "progress":
        running.status = "running";
        running.queuePosition = null;
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
        const id = running.record.id;
        const fileKey = await this.#d.images.put(id, index, EXTENSIONS[mimeType], decodeBase64(data));
        running.images.push({ index, mimeType, width, height, seed, fileKey });
        this.#emit(running, { event: "image", data: { index, url: imagePath(id, index), mimeType, width, height, seed, data } });
        return false;
      }
      case "done":
        running.step = settings.steps;
        await this.#end(running, "succeeded");
        return true;
      case "error":
        await this.#end(running, "failed", ev.data.code, ev.data.message, ev.data.retryable);
        return true;
    }
  }

  #view(running: Running) {
    return generationView({
      ...running.record,
      status: running.status,
      queuePosition: running.queuePosition,
      progressStep: running.step,
      images: [...running.images],
    });
  }

  async #end(
    running: Running,
    status: "succeeded" | "failed" | "cancelled",
    errorCode?: string,
    errorMessage?: string,
    retryable = false,
  ): Promise<void> {
    running.ending = true;
    const { input, record } = running;
    const final = await settleGeneration(this.#d, {
      id: record.id,
      userId: record.userId,
      record,
      steps: record.settings.steps,
      outcome: { status, errorCode, errorMessage, progressStep: running.step, images: [...running.images] },
      ...(input.charge ? { charge: input.charge } : {}),
      ...(input.webhook ? { webhook: input.webhook } : {}),
    });
    const stored = final ?? (await this.#d.generations.get(record.userId, record.id));
    if (stored?.status === "succeeded") {
      this.#emit(running, { event: "done", data: generationView(stored) });
    } else {
      this.#emit(running, {
        event: "error",
        data: {
          code: stored?.errorCode ?? errorCode ?? "internal_error",
          message: stored?.errorMessage ?? errorMessage ?? "",
          retryable,
        },
      });
    }
  }

  #emit(running: Running, event: GenerationEvent): void {
    const id = eventIdOf(event, running.record.settings.steps, running.queuedUpdates);
    if (event.event === "queued") running.queuedUpdates++;
    if (id === undefined) return;
    running.feed.push({ ...event, id } as CoordinatedEvent);
  }
}
