/**
 * One generation's events for any number of subscribers, with what a late or returning subscriber
 * needs replayed: by default the latest queued, progress and preview events, every image, and the
 * final event; with `{ retain: "all" }` every event (the generation's whole log: one event per step
 * and preview, so small), for a holder whose subscribers attach only after a round trip (the
 * Workers edge's Durable Object: the creating request subscribes after start() returned over RPC,
 * and a fast runtime's first events are already in by then).
 * Platform-free (used by the in-process coordinator; a Durable Object can hold one too).
 */
import type { CoordinatedEvent } from "../ports/generation-coordinator.ts";

const isFinal = (e: CoordinatedEvent) => e.event === "done" || e.event === "error";

interface Subscriber {
  readonly after: number;
  readonly queue: CoordinatedEvent[];
  wake: (() => void) | undefined;
  ended: boolean;
}

export interface EventFeedOptions {
  /** What a subscriber joining late is replayed: "latest" (the default) or "all" events. */
  readonly retain?: "latest" | "all";
}

export class EventFeed {
  readonly #retainAll: boolean;
  /** Every event in arrival order (retain "all" only). */
  readonly #log: CoordinatedEvent[] = [];
  readonly #latest = new Map<"queued" | "progress" | "preview", CoordinatedEvent>();
  readonly #images: CoordinatedEvent[] = [];
  #final: CoordinatedEvent | undefined;
  readonly #subscribers = new Set<Subscriber>();
  #closed = false;
  #lastId = 0;

  constructor(options: EventFeedOptions = {}) {
    this.#retainAll = options.retain === "all";
  }

  get lastId(): number {
    return this.#lastId;
  }

  /** The retained events, in id order. */
  retained(): CoordinatedEvent[] {
    if (this.#retainAll) return [...this.#log].sort((a, b) => a.id - b.id);
    const all = [...this.#latest.values(), ...this.#images, ...(this.#final ? [this.#final] : [])];
    return all.sort((a, b) => a.id - b.id);
  }

  push(event: CoordinatedEvent): void {
    if (this.#closed || this.#final) return;
    this.#lastId = Math.max(this.#lastId, event.id);
    if (this.#retainAll) this.#log.push(event);
    if (event.event === "image") this.#images.push(event);
    else if (isFinal(event)) this.#final = event;
    else this.#latest.set(event.event, event);
    for (const s of this.#subscribers) {
      if (event.id > s.after) s.queue.push(event);
      s.wake?.();
    }
    if (this.#final) this.close();
  }

  /** No more events: every subscriber ends after what it has queued. */
  close(): void {
    this.#closed = true;
    for (const s of this.#subscribers) {
      s.ended = true;
      s.wake?.();
    }
    this.#subscribers.clear();
  }

  /** Events after `lastEventId`: the retained ones, then live ones; ends after the final event. */
  subscribe(lastEventId: number, signal?: AbortSignal): AsyncIterable<CoordinatedEvent> {
    const sub: Subscriber = {
      after: lastEventId,
      queue: this.retained().filter((e) => e.id > lastEventId),
      wake: undefined,
      ended: this.#closed,
    };
    if (!sub.ended) this.#subscribers.add(sub);
    const stop = () => {
      sub.ended = true;
      sub.queue.length = 0;
      this.#subscribers.delete(sub);
      sub.wake?.();
    };
    if (signal?.aborted) stop();
    else signal?.addEventListener("abort", stop, { once: true });
    const iterator: AsyncIterator<CoordinatedEvent> = {
      next: async () => {
        for (;;) {
          const next = sub.queue.shift();
          if (next) return { value: next, done: false };
          if (sub.ended) {
            signal?.removeEventListener("abort", stop);
            return { value: undefined, done: true };
          }
          await new Promise<void>((resolve) => (sub.wake = resolve));
          sub.wake = undefined;
        }
      },
      return: async () => {
        stop();
        signal?.removeEventListener("abort", stop);
        return { value: undefined, done: true };
      },
    };
    return { [Symbol.asyncIterator]: () => iterator };
  }
}
