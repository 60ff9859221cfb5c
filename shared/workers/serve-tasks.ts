/**
 * The worker side of WorkerPool: build the worker's state once (e.g. load ONNX sessions), say
 * "ready", then answer tasks one at a time. A handler that throws answers with the error; it
 * does not kill the worker.
 */
import { parentPort, type TransferListItem } from "node:worker_threads";
import type { FromWorker, ToWorker } from "./worker-messages.ts";
import { toRemoteError } from "./worker-pool-error.ts";

export interface ServeOptions<Res> {
  /** Buffers of the result to move rather than copy to the main thread. */
  transfer?: (value: Res) => TransferListItem[];
}

export function serveTasks<State, Req, Res>(
  init: () => State | Promise<State>,
  handle: (state: State, request: Req) => Res | Promise<Res>,
  options: ServeOptions<Res> = {},
): void {
  const port = parentPort;
  if (!port) throw new Error("serveTasks must run inside a worker thread");
  const post = (msg: FromWorker<Res>, transfer: TransferListItem[] = []) => port.postMessage(msg, transfer);

  void (async () => {
    let state: State;
    try {
      state = await init();
    } catch (err) {
      post({ type: "init_failed", error: toRemoteError(err) });
      return;
    }
    port.on("message", async (msg: ToWorker<Req>) => {
      if (msg?.type !== "task") return;
      try {
        const value = await handle(state, msg.request);
        post({ type: "result", id: msg.id, value }, options.transfer?.(value) ?? []);
      } catch (err) {
        post({ type: "error", id: msg.id, error: toRemoteError(err) });
      }
    });
    post({ type: "ready" });
  })();
}
