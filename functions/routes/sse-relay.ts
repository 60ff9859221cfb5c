/**
 * A generation's events as the client's text/event-stream, each with its `id:` so a client that
 * lost the connection resumes with Last-Event-ID. A comment line every 15 s keeps proxies and
 * mobile networks from closing an idle stream (and lets a dead client be noticed on the write).
 * The stream ends after `done` or `error`; a client that goes away just stops receiving (the
 * generation goes on, pollable and resumable).
 */
import { formatSseMessage, SSE_KEEPALIVE } from "../../shared/contract/sse.ts";
import type { CoordinatedEvent } from "../ports/generation-coordinator.ts";

export const SSE_HEARTBEAT_MS = 15_000;

/**
 * Relays `events` until they end or the client goes away; `abort` is signalled when the client
 * goes away (ending the subscription).
 */
export function relayEvents(
  events: AsyncIterable<CoordinatedEvent>,
  abort: AbortController,
  heartbeatMs = SSE_HEARTBEAT_MS,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  let closed = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      const write = (text: string) => {
        if (closed) return;
        try {
          controller.enqueue(encoder.encode(text));
        } catch {
          closed = true;
          abort.abort();
        }
      };
      heartbeat = setInterval(() => write(SSE_KEEPALIVE), heartbeatMs);
      void (async () => {
        try {
          for await (const e of events) {
            write(formatSseMessage(e.event, JSON.stringify(e.data), String(e.id)));
            if (closed) break;
          }
        } catch {
          // A broken subscription ends the stream; the client resumes or polls.
        } finally {
          clearInterval(heartbeat);
          if (!closed) {
            closed = true;
            try {
              controller.close();
            } catch {
              // Already closed or errored by the consumer.
            }
          }
        }
      })();
    },
    cancel() {
      closed = true;
      clearInterval(heartbeat);
      abort.abort();
    },
  });
}
