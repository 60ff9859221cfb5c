/**
 * The Worker's side of the generation-coordinator port: every call goes to the generation's own
 * Durable Object (GenerationObject, named by the generation id), whichever isolate makes it.
 */
import type {
  CoordinatedEvent,
  GenerationCoordinator,
  LiveGeneration,
  SubscribeOptions,
} from "../../ports/generation-coordinator.ts";
import { RuntimeCallError } from "../../runtime-client/runtime-call-error.ts";
import type { GenerationObject, StartResult } from "./durable-objects/generation-object.ts";

export function createDurableGenerationCoordinator(ns: DurableObjectNamespace<GenerationObject>): GenerationCoordinator {
  const stub = (id: string) => ns.get(ns.idFromName(id));
  return {
    async start(input) {
      const result = (await stub(input.generation.id).start(input)) as StartResult;
      if (!result.ok) {
        const { code, message, runtimeCode, retryAfterSeconds } = result.error;
        throw new RuntimeCallError(code, message, {
          ...(runtimeCode !== undefined ? { runtimeCode } : {}),
          ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
        });
      }
    },
    async subscribe(id, options: SubscribeOptions = {}) {
      const stream = (await stub(id).subscribe(options.lastEventId ?? 0)) as ReadableStream<Uint8Array> | null;
      if (!stream) return undefined;
      return jsonLines(stream, options.signal);
    },
    async cancel(id) {
      return stub(id).cancel();
    },
    async current(id) {
      return ((await stub(id).current()) as LiveGeneration | null) ?? undefined;
    },
    async close() {
      // Nothing to do: each generation lives in its own object, not in this isolate.
    },
  };
}

async function* jsonLines(stream: ReadableStream<Uint8Array>, signal: AbortSignal | undefined): AsyncGenerator<CoordinatedEvent> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  const stop = () => void reader.cancel().catch(() => undefined);
  if (signal?.aborted) stop();
  signal?.addEventListener("abort", stop, { once: true });
  let buffered = "";
  try {
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true as const }));
      if (done) break;
      buffered += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line) yield JSON.parse(line) as CoordinatedEvent;
      }
    }
  } finally {
    signal?.removeEventListener("abort", stop);
    stop();
  }
}
