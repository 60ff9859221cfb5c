/**
 * The generation lifecycle port: who owns a generation between its creating request and its end.
 *
 * One coordinator instance (in-process map on Node, one Durable Object per generation on Workers)
 * holds the runtime's event stream, the live state (status, queue position, step, images), and
 * fans events out to every subscriber. Everything that crosses the port is JSON-serialisable, so
 * a Durable Object stub can implement it over fetch/RPC.
 *
 * Contract every implementation keeps:
 * - `start` resolves once the runtime accepted the request (its response began); it rejects with
 *   the runtime's refusal (RuntimeCallError) and then records nothing: the caller fails the record
 *   and refunds the charge.
 * - On the end (done, error, cancel, runtime gone, shutdown) the implementation records the outcome
 *   with `GenerationStore.finish` (first outcome wins), refunds the cost of the steps that did not
 *   run (`charge`), gives back the in-flight slot (`charge.slot`), and hands the record to the webhook outbox when `webhook` is set. The shared
 *   helper `settleGeneration` (functions/coordinator/settle.ts) does all three.
 * - Every event carries an `id` from `eventIdOf` (functions/coordinator/event-ids.ts): a number
 *   derived from the generation's settings and the event alone, increasing within a generation,
 *   so an id seen on one stream means the same event on a replay from any instance or from storage.
 * - `subscribe(id, lastEventId)` first replays what the subscriber missed (events with a larger id):
 *   at least the latest `queued`, the latest `progress`, the latest `preview`, every `image`, and
 *   the final `done`/`error`; then live events. The iterable ends after the final event, or when
 *   `signal` aborts. It answers undefined when this coordinator does not hold the generation
 *   (finished and forgotten, or never started here): the caller then replays from the stored record.
 *   The in-process coordinator (Node) replays just those: its creating request subscribes in the
 *   same process right after `start`, before the runtime's next event can be read. The Workers
 *   coordinator replays every event after `lastEventId`: its creating request subscribes only
 *   after `start` came back over RPC, by when a fast runtime may have sent several.
 */
import type { RuntimeGenerateRequestInput } from "../../shared/contract/generate-request.ts";
import type { BucketPolicy } from "../rate-limit/token-bucket.ts";
import type { GenerationEvent } from "../schemas/generation.ts";
import type { GenerationImageRecord, GenerationRecord } from "../stores/generation-store.ts";

/** A client-facing generation event with its stream id (SSE `id:`). */
export type CoordinatedEvent = GenerationEvent & { readonly id: number };

/** What the caller charged for the generation; the unrun steps' share goes back on failure or cancel. */
export interface GenerationCharge {
  readonly bucket: string;
  readonly policy: BucketPolicy;
  readonly cost: number;
  /** The user's in-flight slot (one token of this bucket), given back whenever the generation ends. */
  readonly slot?: { readonly bucket: string; readonly policy: BucketPolicy };
}

/** Where the outcome is announced (Standard Webhooks); `keyId` selects the signing secret. */
export interface GenerationWebhook {
  readonly url: string;
  readonly keyId: string;
}

export interface StartGeneration {
  /** The record as inserted (status `queued`). */
  readonly generation: GenerationRecord;
  /** The runtime request (requestId = generation id). */
  readonly request: RuntimeGenerateRequestInput;
  readonly charge?: GenerationCharge;
  readonly webhook?: GenerationWebhook;
}

/** A generation that has not ended yet, as its coordinator sees it now. */
export interface LiveGeneration {
  readonly status: "queued" | "running";
  /** Requests ahead of it in the runtime's queue, when the runtime said so (null: unknown or running). */
  readonly queuePosition: number | null;
  readonly progressStep: number;
  readonly images: readonly GenerationImageRecord[];
  /** Id of the last event sent (0: none yet). */
  readonly lastEventId: number;
}

export interface SubscribeOptions {
  /** Replay only events after this id (SSE Last-Event-ID); omitted: everything retained. */
  readonly lastEventId?: number;
  /** Ends the iteration (the client went away). */
  readonly signal?: AbortSignal;
}

export interface GenerationCoordinator {
  /** Takes over a freshly inserted generation and sends it to the runtime; see the contract above. */
  start(input: StartGeneration): Promise<void>;
  subscribe(id: string, options?: SubscribeOptions): Promise<AsyncIterable<CoordinatedEvent> | undefined>;
  /**
   * Records `cancelled` (with the progress and images so far), refunds the unrun steps, emits the
   * final `error` event and stops the runtime's work. False when the generation is not held here.
   */
  cancel(id: string): Promise<boolean>;
  /** Live state, or undefined when not held here (ended, or unknown). */
  current(id: string): Promise<LiveGeneration | undefined>;
  /** Shutdown: every held generation fails with `edge_shutting_down` and its runtime request closes. */
  close(): Promise<void>;
}
