/**
 * POST /v1/generate: validate the edge's request, queue it, and stream its events as SSE:
 * accepted, progress, preview, image, then exactly one done or error.
 */
import type { Context } from "hono";
import {
  encodeBase64,
  fieldErrorsOf,
  RuntimeGenerateRequestSchema,
  SSE_CONTENT_TYPE,
  type RuntimeErrorCode,
  type RuntimeGenerateRequest,
} from "../../shared/contract/index.ts";
import { admitRequest, type PackCapabilities } from "../pipeline/admission.ts";
import { PipelineError } from "../pipeline/pipeline-error.ts";
import type { GenerationQueue, JobHandle } from "../queue/generation-queue.ts";
import { QueueError } from "../queue/queue-error.ts";
import type { GenerationJobPayload } from "./generation-job.ts";
import { problemResponse } from "./problem-response.ts";
import type { RuntimeMetrics } from "./runtime-metrics.ts";
import { SseStream } from "./sse-stream.ts";

export interface GenerateRouteDeps {
  readonly queue: GenerationQueue<GenerationJobPayload>;
  readonly pack: PackCapabilities;
  readonly batchKey: (r: RuntimeGenerateRequest) => string;
  readonly metrics: RuntimeMetrics;
  readonly keepaliveMs?: number;
  readonly log?: (line: string) => void;
}

export function generateHandler(d: GenerateRouteDeps) {
  return async (c: Context): Promise<Response> => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return refuse(d, 400, "invalid_request", "The body is not JSON", { detail: "POST a JSON RuntimeGenerateRequest" });
    }
    const parsed = RuntimeGenerateRequestSchema.safeParse(body);
    if (!parsed.success) {
      return refuse(d, 400, "invalid_request", "Invalid generate request", { errors: fieldErrorsOf(parsed.error) });
    }
    const request = parsed.data;
    try {
      admitRequest(request, d.pack);
    } catch (err) {
      if (!(err instanceof PipelineError)) throw err;
      const code = err.code === "inference_failed" ? "invalid_request" : err.code;
      return refuse(d, 400, code, "This runtime cannot serve the request", {
        detail: err.message,
        errors: [{ path: err.field ?? "", message: err.message }],
      });
    }

    const started = performance.now();
    let job: JobHandle<GenerationJobPayload> | undefined;
    const stream = new SseStream(() => job?.cancel("client_gone"), d.keepaliveMs);
    const events = {
      progress: (step: number, total: number) => stream.send({ type: "progress", data: { step, total } }),
      preview: (f: { step: number; width: number; height: number; jpeg: Uint8Array }) =>
        stream.send({ type: "preview", data: { step: f.step, mimeType: "image/jpeg", width: f.width, height: f.height, data: encodeBase64(f.jpeg) } }),
      image: (img: { index: number; seed: number; mimeType: string; width: number; height: number; bytes: Uint8Array }) => {
        d.metrics.images.inc();
        stream.send({
          type: "image",
          data: { index: img.index, mimeType: img.mimeType as "image/png", width: img.width, height: img.height, seed: img.seed, data: encodeBase64(img.bytes) },
        });
      },
    };
    try {
      job = d.queue.submit({ request, events }, d.batchKey(request), request.numImages);
    } catch (err) {
      stream.close();
      if (err instanceof QueueError) {
        return refuse(d, 503, err.code, err.code === "queue_full" ? "The runtime is busy" : "The runtime is shutting down", {
          detail: err.message,
          headers: { "retry-after": String(err.retryAfterSeconds) },
        });
      }
      throw err;
    }
    const handle = job;
    c.req.raw.signal.addEventListener("abort", () => handle.cancel("client_gone"), { once: true });
    d.metrics.requests.inc();
    stream.send({ type: "accepted", data: { ...(request.requestId ? { requestId: request.requestId } : {}), queuePosition: handle.queuePosition } });
    // The edge reports queued (with its place) until the runtime starts the request.
    handle.onQueueMove = (queuePosition) => stream.send({ type: "queued", data: { queuePosition } });
    handle.onStart = () => stream.send({ type: "started", data: {} });
    if (handle.started) handle.onStart();

    void handle.outcome.then((outcome) => {
      if (outcome.status === "done") {
        const elapsedMs = performance.now() - started;
        d.metrics.generationSeconds.observe(elapsedMs / 1000);
        stream.send({ type: "done", data: { images: outcome.images, elapsedMs: Math.round(elapsedMs) } });
      } else if (outcome.status === "cancelled") {
        d.metrics.cancelled.inc({ reason: outcome.reason });
        if (outcome.reason === "shutting_down") {
          d.metrics.errors.inc({ code: "shutting_down" });
          stream.send({ type: "error", data: { code: "shutting_down", message: "the runtime shut down before this request finished", retryable: true } });
        }
      } else {
        const code = errorCodeOf(outcome.error);
        d.metrics.errors.inc({ code });
        d.log?.(`generate ${request.requestId ?? ""} failed (${code}): ${outcome.error.stack ?? outcome.error.message}`);
        stream.send({ type: "error", data: { code, message: outcome.error.message, retryable: false } });
      }
      stream.close();
    });

    return new Response(stream.body, {
      status: 200,
      headers: { "content-type": SSE_CONTENT_TYPE, "cache-control": "no-store", "x-accel-buffering": "no" },
    });
  };
}

function refuse(d: GenerateRouteDeps, status: number, code: RuntimeErrorCode, title: string, extra: Parameters<typeof problemResponse>[3]): Response {
  d.metrics.errors.inc({ code });
  return problemResponse(status, code, title, extra);
}

function errorCodeOf(err: Error): RuntimeErrorCode {
  if (err instanceof PipelineError) return err.code;
  return "internal_error";
}
