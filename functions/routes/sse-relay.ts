/**
 * A generation's events as the client's text/event-stream. The stream ends after `done` or
 * `error`; a client that goes away just stops receiving (the generation goes on, pollable).
 */
import { formatSseMessage, SSE_KEEPALIVE } from "../../shared/contract/sse.ts";
import type { GenerationEvent } from "../schemas/generation.ts";

export interface EventRelay {
  readonly stream: ReadableStream<Uint8Array>;
  readonly listener: (event: GenerationEvent) => void;
  /** Drops the stream (the request failed before it was returned). */
  abandon(): void;
}

export function createEventRelay(keepaliveMs = 15_000): EventRelay {
  const encoder = new TextEncoder();
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let closed = false;
  let keepalive: ReturnType<typeof setInterval> | undefined;

  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(keepalive);
    try {
      controller.close();
    } catch {
      // Already closed or errored by the consumer.
    }
  };
  const write = (text: string) => {
    if (closed) return;
    try {
      controller.enqueue(encoder.encode(text));
    } catch {
      close();
    }
  };

  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
      keepalive = setInterval(() => write(SSE_KEEPALIVE), keepaliveMs);
    },
    cancel() {
      closed = true;
      clearInterval(keepalive);
    },
  });

  return {
    stream,
    listener(event) {
      write(formatSseMessage(event.event, JSON.stringify(event.data)));
      if (event.event === "done" || event.event === "error") close();
    },
    abandon: close,
  };
}
