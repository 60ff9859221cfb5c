/**
 * A RuntimeClient wrapper that notes when the runtime last said something and lets the owner fail
 * a stream that went silent: the generation then ends as runtime_disconnected through the
 * coordinator's ordinary error path (the abort's reason is what the event stream throws).
 */
import type { RuntimeEvent } from "../../../shared/contract/runtime-events.ts";
import { RuntimeCallError } from "../../runtime-client/runtime-call-error.ts";
import type { RuntimeClient } from "../../runtime-client/runtime-client.ts";

export interface SilenceWatchedRuntime extends RuntimeClient {
  /** Called with the request id on every runtime event. */
  onEvent: ((requestId: string) => void) | undefined;
  /** Fails the open stream of `requestId`; false when there is none. */
  fail(requestId: string, silentMs: number): boolean;
}

export function watchSilence(inner: RuntimeClient): SilenceWatchedRuntime {
  const open = new Map<string, AbortController>();
  const watched: SilenceWatchedRuntime = {
    onEvent: undefined,
    async generate(request, signal) {
      const controller = new AbortController();
      const forward = () => controller.abort(signal.reason);
      if (signal.aborted) forward();
      signal.addEventListener("abort", forward, { once: true });
      const key = request.requestId ?? "";
      open.set(key, controller);
      const forget = () => {
        signal.removeEventListener("abort", forward);
        if (open.get(key) === controller) open.delete(key);
      };
      let events: AsyncIterable<RuntimeEvent>;
      try {
        events = await inner.generate(request, controller.signal);
      } catch (e) {
        forget();
        throw e;
      }
      return (async function* () {
        try {
          for await (const ev of events) {
            watched.onEvent?.(key);
            yield ev;
          }
        } finally {
          forget();
        }
      })();
    },
    fail(requestId, silentMs) {
      const controller = open.get(requestId);
      if (!controller) return false;
      controller.abort(
        new RuntimeCallError("runtime_disconnected", `the runtime sent nothing for ${Math.round(silentMs / 1000)} s`),
      );
      return true;
    },
  };
  return watched;
}
