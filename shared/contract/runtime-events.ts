/**
 * The runtime's Server-Sent-Events stream answering POST /v1/generate. Each SSE message has
 * `event: <type>` and `data: <JSON>`; the JSON is the event's payload below. A stream ends with
 * exactly one `done` or `error`; a stream that ends without either is a broken runtime.
 */
import { z } from "zod";
import { isBase64 } from "./base64.ts";
import { OUTPUT_MIME_TYPE_LIST, PREVIEW_MIME_TYPE } from "./limits.ts";

/** Stable reasons a runtime refuses or fails a request (problem `code` and `error` event `code`). */
export const RUNTIME_ERROR_CODES = [
  "invalid_request",
  "unauthorized",
  "queue_full",
  "embedding_pack_mismatch",
  "scheduler_unavailable",
  "cancelled",
  "shutting_down",
  "inference_failed",
  "internal_error",
] as const;
export type RuntimeErrorCode = (typeof RUNTIME_ERROR_CODES)[number];

const base64String = z.string().refine(isBase64, { message: "must be base64" });
const imageMime = z.enum(OUTPUT_MIME_TYPE_LIST);

export const AcceptedEventSchema = z.object({
  requestId: z.string().optional(),
  /** Requests ahead of this one when it was queued (0: starts now). */
  queuePosition: z.number().int().min(0),
});

/** The request's place in the queue changed (requests ahead of it; 0: next to start). */
export const QueuedEventSchema = z.object({
  queuePosition: z.number().int().min(0),
});

/** The runtime took the request out of its queue and began running it. */
export const StartedEventSchema = z.object({});

export const ProgressEventSchema = z.object({
  /** Denoising steps completed, 1..total. */
  step: z.number().int().min(0),
  total: z.number().int().min(1),
});

export const PreviewEventSchema = z.object({
  step: z.number().int().min(0),
  mimeType: z.literal(PREVIEW_MIME_TYPE),
  width: z.number().int().min(1),
  height: z.number().int().min(1),
  data: base64String,
});

export const ImageEventSchema = z.object({
  index: z.number().int().min(0),
  mimeType: imageMime,
  width: z.number().int().min(1),
  height: z.number().int().min(1),
  /** The seed this image was drawn with. */
  seed: z.number().int().min(0),
  data: base64String,
});

export const DoneEventSchema = z.object({
  images: z.number().int().min(0),
  elapsedMs: z.number().min(0),
});

export const ErrorEventSchema = z.object({
  code: z.enum(RUNTIME_ERROR_CODES),
  message: z.string(),
  /** True when the same request may succeed later (queue full, shutting down). */
  retryable: z.boolean().default(false),
});

export const RUNTIME_EVENT_SCHEMAS = {
  accepted: AcceptedEventSchema,
  queued: QueuedEventSchema,
  started: StartedEventSchema,
  progress: ProgressEventSchema,
  preview: PreviewEventSchema,
  image: ImageEventSchema,
  done: DoneEventSchema,
  error: ErrorEventSchema,
} as const;

export type RuntimeEventType = keyof typeof RUNTIME_EVENT_SCHEMAS;
export const RUNTIME_EVENT_TYPES = Object.keys(RUNTIME_EVENT_SCHEMAS) as RuntimeEventType[];

export type RuntimeEvent = {
  [K in RuntimeEventType]: { type: K; data: z.output<(typeof RUNTIME_EVENT_SCHEMAS)[K]> };
}[RuntimeEventType];

/** What a runtime writes (defaults may be omitted). */
export type RuntimeEventInput = {
  [K in RuntimeEventType]: { type: K; data: z.input<(typeof RUNTIME_EVENT_SCHEMAS)[K]> };
}[RuntimeEventType];

export class RuntimeEventParseError extends Error {
  readonly code = "runtime_protocol_error";
  constructor(message: string) {
    super(message);
    this.name = "RuntimeEventParseError";
  }
}

function isRuntimeEventType(t: string): t is RuntimeEventType {
  return Object.hasOwn(RUNTIME_EVENT_SCHEMAS, t);
}

/** Validates one SSE message's event name and JSON data. Throws RuntimeEventParseError. */
export function parseRuntimeEvent(eventName: string, data: string): RuntimeEvent {
  if (!isRuntimeEventType(eventName)) throw new RuntimeEventParseError(`unknown event type "${eventName}"`);
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    throw new RuntimeEventParseError(`event "${eventName}" has data that is not JSON`);
  }
  const parsed = RUNTIME_EVENT_SCHEMAS[eventName].safeParse(json);
  if (!parsed.success) {
    throw new RuntimeEventParseError(`event "${eventName}" is malformed: ${parsed.error.issues[0]?.message ?? ""}`);
  }
  return { type: eventName, data: parsed.data } as RuntimeEvent;
}
