/**
 * The runtime's response body (any async iterable of bytes) as validated contract events. A
 * broken connection becomes runtime_disconnected, a malformed event runtime_protocol_error, and
 * an abort rethrows the abort's reason.
 */
import { parseRuntimeEvent, RuntimeEventParseError, type RuntimeEvent } from "../../shared/contract/runtime-events.ts";
import { SseParser } from "../../shared/contract/sse.ts";
import { RuntimeCallError } from "./runtime-call-error.ts";

export async function* runtimeEvents(
  chunks: AsyncIterable<Uint8Array>,
  signal: AbortSignal,
  closeUpstream: () => void,
  cleanup: () => void,
): AsyncGenerator<RuntimeEvent> {
  const parser = new SseParser();
  const decoder = new TextDecoder();
  let completed = false;
  try {
    for await (const chunk of chunks) {
      for (const message of parser.push(decoder.decode(chunk, { stream: true }))) {
        yield parseRuntimeEvent(message.event, message.data);
      }
    }
    completed = true;
  } catch (e) {
    if (signal.aborted) throw signal.reason;
    if (e instanceof RuntimeEventParseError) {
      closeUpstream();
      throw new RuntimeCallError("runtime_protocol_error", e.message, { cause: e });
    }
    throw new RuntimeCallError("runtime_disconnected", "the GPU runtime stream broke", {
      cause: e,
    });
  } finally {
    // A consumer that stops early gets the connection closed; a body read to its end leaves it
    // to the keep-alive pool.
    if (!completed) closeUpstream();
    cleanup();
  }
  if (signal.aborted) throw signal.reason;
}
