/**
 * The Worker's bindings, as wrangler.toml declares them. Types come from @cloudflare/workers-types
 * (tsconfig.workers.json); nothing here runs on Node.
 */
import type { GenerationObject } from "./durable-objects/generation-object.ts";
import type { UserLimiter } from "./durable-objects/user-limiter.ts";
import type { WebhookDispatcherObject } from "./durable-objects/webhook-dispatcher-object.ts";

export interface WorkerEnv {
  /** Keys, identities, generations, idempotency (schema: migrations/*.sql). */
  readonly DB: D1Database;
  /** Hot copy of identities (embedding included) in front of D1; short TTL, deleted with the identity. */
  readonly IDENTITY_CACHE: KVNamespace;
  /** Result images. */
  readonly IMAGES: R2Bucket;
  /** One object per user: that user's request and cost token buckets. */
  readonly USER_LIMITER: DurableObjectNamespace<UserLimiter>;
  /** One object per generation: owns the runtime stream and fans its events out. */
  readonly GENERATION: DurableObjectNamespace<GenerationObject>;
  /**
   * One object (a singleton) delivers the webhook outbox in D1 from its alarm. Without this binding
   * a webhookUrl is refused with 422 webhooks_unavailable.
   */
  readonly WEBHOOK_DISPATCHER?: DurableObjectNamespace<WebhookDispatcherObject>;
  /** The web app's files (wrangler.toml [assets], built by web/server/workers-assets-build.ts); absent: no web app. */
  readonly ASSETS?: Fetcher;
  /** The runtime's face pack (a var; default lite): precomputed faces must be of it, and the web app serves its models. */
  readonly FACE_PACK?: string;
  /** The GPU runtime's base URL (a var in wrangler.toml). */
  readonly RUNTIME_URL: string;
  /** Bearer token the runtime expects (`wrangler secret put RUNTIME_TOKEN`; .dev.vars locally). */
  readonly RUNTIME_TOKEN: string;
  /** Optional secret: encrypts embeddings at rest in D1 and KV (`wrangler secret put EMBEDDING_KEY`; 64 hex digits). */
  readonly EMBEDDING_KEY?: string;
  /** Optional: earlier keys, comma-separated, still read during a rotation. */
  readonly EMBEDDING_KEY_PREVIOUS?: string;
  /** Optional: largest photo forwarded to the runtime's face analysis (default 25 MiB; match the runtime's). */
  readonly PHOTO_MAX_BYTES?: string;
  /** Optional: seconds an identity stays in KV (default 3600; KV's minimum is 60). */
  readonly IDENTITY_CACHE_TTL_S?: string;
  /** Optional: ms without a runtime event after which a generation fails (default 120000). */
  readonly GENERATION_SILENCE_MS?: string;
  /** Optional: ms between SSE heartbeat comments (default 5000). */
  readonly SSE_HEARTBEAT_MS?: string;
  /** Optional: origins allowed by CORS, comma-separated ("*" for any), as on the Node edge. */
  readonly CORS_ORIGINS?: string;
  /** Optional: "0" turns the JSON access-log line per request off. */
  readonly ACCESS_LOG?: string;
  /** Optional: "1" lets webhooks reach literal private, loopback and link-local addresses (tests, local development only). */
  readonly WEBHOOK_ALLOW_PRIVATE?: string;
  /** Optional: ms before the first webhook retry, doubling per attempt (default 5000). */
  readonly WEBHOOK_RETRY_BASE_MS?: string;
}
