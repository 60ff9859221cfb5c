/**
 * A STUB GPU runtime for edge tests: a real HTTP server on loopback that speaks the wire contract
 * (shared/contract) but draws nothing: images are small solid PNGs made with sharp. Its behaviour
 * per request is set by the test (complete, die mid-stream, hang until the client disconnects,
 * refuse busy, error event, malformed event).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import sharp from "sharp";
import { encodeBase64 } from "../../../shared/contract/base64.ts";
import { RUNTIME_GENERATE_PATH, RuntimeGenerateRequestSchema, type RuntimeGenerateRequest } from "../../../shared/contract/generate-request.ts";
import { OUTPUT_MIME_TYPES } from "../../../shared/contract/limits.ts";
import { fieldErrorsOf, PROBLEM_CONTENT_TYPE } from "../../../shared/contract/problem.ts";
import type { RuntimeEventInput } from "../../../shared/contract/runtime-events.ts";
import { formatSseMessage } from "../../../shared/contract/sse.ts";

export type StubBehaviour =
  | "complete"
  | "die_mid_stream"
  | "hang"
  | "busy"
  | "error_event"
  | "pack_mismatch"
  | "malformed_event"
  | "end_without_done"
  /** The stream stays open and the test writes its events (see nextManual). */
  | "manual";

/** A request under the test's control (behaviour "manual"): nothing is sent until the test says. */
export interface ManualStream {
  readonly request: RuntimeGenerateRequest;
  send(e: RuntimeEventInput): void;
  end(): void;
  /** Resolves when the edge closed the connection. */
  readonly closed: Promise<void>;
}

export interface StubRuntime {
  readonly url: string;
  readonly token: string;
  behaviour: StubBehaviour;
  /** Every valid request, in arrival order. */
  readonly requests: RuntimeGenerateRequest[];
  /** Request ids whose client went away before the stream ended. */
  readonly disconnected: string[];
  /** Resolves when the next client disconnects early. */
  nextDisconnect(): Promise<string>;
  /** Resolves with the next request served in "manual" mode. */
  nextManual(): Promise<ManualStream>;
  /** The bytes the stub sent for (requestId, index). */
  imageBytes(requestId: string, index: number): Uint8Array | undefined;
  close(): Promise<void>;
}

export async function startStubRuntime(token = "stub-runtime-token"): Promise<StubRuntime> {
  const requests: RuntimeGenerateRequest[] = [];
  const disconnected: string[] = [];
  const sentImages = new Map<string, Uint8Array>();
  let disconnectWaiters: ((id: string) => void)[] = [];
  const manualReady: ManualStream[] = [];
  const manualWaiters: ((m: ManualStream) => void)[] = [];
  const pngCache = new Map<string, Uint8Array>();

  const image = async (r: RuntimeGenerateRequest, index: number): Promise<Uint8Array> => {
    const key = `${r.width}x${r.height}:${r.outputFormat}:${index}`;
    let bytes = pngCache.get(key);
    if (!bytes) {
      const img = sharp({
        create: { width: r.width, height: r.height, channels: 3, background: { r: 40 * index, g: 90, b: 160 } },
      });
      const buf = await (r.outputFormat === "jpeg" ? img.jpeg() : r.outputFormat === "webp" ? img.webp() : img.png()).toBuffer();
      bytes = new Uint8Array(buf);
      pngCache.set(key, bytes);
    }
    return bytes;
  };

  const problem = (res: ServerResponse, status: number, code: string, detail: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { "content-type": PROBLEM_CONTENT_TYPE, ...headers });
    res.end(JSON.stringify({ type: "about:blank", title: code, status, code, detail }));
  };

  const stub: StubRuntime = {
    url: "",
    token,
    behaviour: "complete",
    requests,
    disconnected,
    nextDisconnect: () => new Promise((resolve) => disconnectWaiters.push(resolve)),
    nextManual: () => {
      const ready = manualReady.shift();
      return ready ? Promise.resolve(ready) : new Promise((resolve) => manualWaiters.push(resolve));
    },
    imageBytes: (id, i) => sentImages.get(`${id}/${i}`),
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== "POST" || req.url !== RUNTIME_GENERATE_PATH) return problem(res, 404, "not_found", req.url ?? "");
    if (req.headers.authorization !== `Bearer ${token}`) return problem(res, 401, "unauthorized", "bad runtime token");
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let json: unknown;
    try {
      json = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      return problem(res, 400, "invalid_request", "not JSON");
    }
    const parsed = RuntimeGenerateRequestSchema.safeParse(json);
    if (!parsed.success) {
      res.writeHead(400, { "content-type": PROBLEM_CONTENT_TYPE });
      return res.end(
        JSON.stringify({ title: "invalid", status: 400, code: "invalid_request", errors: fieldErrorsOf(parsed.error) }),
      );
    }
    const r = parsed.data;
    requests.push(r);
    const id = r.requestId ?? "";
    const behaviour = stub.behaviour;
    if (behaviour === "busy") return problem(res, 503, "queue_full", "queue full", { "retry-after": "7" });
    if (behaviour === "pack_mismatch") return problem(res, 422, "embedding_pack_mismatch", `pack ${r.embeddingPack} not supported`);

    let finished = false;
    res.on("close", () => {
      if (finished) return;
      disconnected.push(id);
      const waiters = disconnectWaiters;
      disconnectWaiters = [];
      for (const w of waiters) w(id);
    });
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    const send = (e: RuntimeEventInput) => res.write(formatSseMessage(e.type, JSON.stringify(e.data)));

    if (behaviour === "manual") {
      res.flushHeaders();
      const manual: ManualStream = {
        request: r,
        send,
        end: () => {
          finished = true;
          res.end();
        },
        closed: new Promise((resolve) => res.on("close", () => resolve())),
      };
      const waiter = manualWaiters.shift();
      if (waiter) waiter(manual);
      else manualReady.push(manual);
      return;
    }
    send({ type: "accepted", data: { requestId: id, queuePosition: 0 } });
    if (behaviour === "malformed_event") {
      res.write(formatSseMessage("progress", JSON.stringify({ step: "one" })));
      return;
    }
    for (let step = 1; step <= r.steps; step++) {
      send({ type: "progress", data: { step, total: r.steps } });
      if (r.preview && step % r.preview.everySteps === 0) {
        const p = await image({ ...r, width: 32, height: 32, outputFormat: "jpeg" }, 0);
        send({ type: "preview", data: { step, mimeType: "image/jpeg", width: 32, height: 32, data: encodeBase64(p) } });
      }
      if (behaviour === "die_mid_stream" && step === 1) {
        // Let the first events reach the edge, then drop the connection like a crashed process.
        setTimeout(() => res.socket?.destroy(), 20);
        return;
      }
      if (behaviour === "hang" && step === 1) return; // the open stream waits for the client to leave
    }
    if (behaviour === "error_event") {
      finished = true;
      send({ type: "error", data: { code: "inference_failed", message: "stub inference failed", retryable: false } });
      return res.end();
    }
    if (behaviour === "end_without_done") {
      finished = true;
      return res.end();
    }
    for (let i = 0; i < r.numImages; i++) {
      const bytes = await image(r, i);
      sentImages.set(`${id}/${i}`, bytes);
      send({
        type: "image",
        data: {
          index: i,
          mimeType: OUTPUT_MIME_TYPES[r.outputFormat] as "image/png",
          width: r.width,
          height: r.height,
          seed: r.seed + i,
          data: encodeBase64(bytes),
        },
      });
    }
    finished = true;
    send({ type: "done", data: { images: r.numImages, elapsedMs: 1 } });
    res.end();
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) problem(res, 500, "internal_error", String(e));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  (stub as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return stub;
}
