/** The runtime's settings, from environment variables, each checked with a message naming the variable. */
import { resolve } from "node:path";
import type { FacePackName } from "../../shared/face/face-analyser.ts";
import { DEFAULT_FACE_PACK_DIRS } from "../../shared/face/pack-dirs.ts";
import { DEFAULT_IMAGE_LIMITS } from "../../shared/image/image-intake.ts";
import type { ExecutionProvider } from "../../shared/onnx/ort-session.ts";
import { DEFAULT_FACE_BATCH, type RuntimeFacesConfig } from "./face-service.ts";

export interface RuntimeConfig {
  readonly packDir: string;
  readonly host: string;
  readonly port: number;
  readonly token: string;
  /** Tried in order per network; one that cannot start is skipped with its reason logged. */
  readonly providers: readonly ExecutionProvider[];
  /** ORT intra-op threads per session (0: ORT's default). */
  readonly threads: number;
  /** Inference worker threads, each holding the whole pack. */
  readonly workers: number;
  readonly queueCapacity: number;
  /** Images denoised together at most. */
  readonly maxBatchLanes: number;
  /** How long a lone request waits for others to batch with. */
  readonly batchWindowMs: number;
  readonly shutdownGraceMs: number;
  readonly promptCacheSize: number;
  readonly faceCacheSize: number;
  /** POST /v1/faces/analyze's pack, photo limits and workers; default: facesConfigFromEnv({}). */
  readonly faces?: RuntimeFacesConfig;
}

export class RuntimeConfigError extends Error {
  override readonly name = "RuntimeConfigError";
  readonly code = "invalid_config";
}

const PROVIDERS: readonly ExecutionProvider[] = ["webgpu", "cuda", "cpu"];

export const DEFAULT_PACK_DIR = "models/packs/tiny";

export function runtimeConfigFromEnv(env: Readonly<Record<string, string | undefined>>, cwd = process.cwd()): RuntimeConfig {
  const token = env.RUNTIME_TOKEN ?? "";
  if (token.length < 16) throw new RuntimeConfigError("RUNTIME_TOKEN must be set to the secret shared with the edge (at least 16 characters)");
  return {
    packDir: resolve(cwd, env.RUNTIME_PACK_DIR || DEFAULT_PACK_DIR),
    host: env.RUNTIME_HOST || "127.0.0.1",
    port: int(env, "RUNTIME_PORT", 8788, 0, 65535),
    token,
    providers: providers(env.RUNTIME_PROVIDERS || "cpu"),
    threads: int(env, "RUNTIME_THREADS", 0, 0, 1024),
    workers: int(env, "RUNTIME_WORKERS", 1, 1, 64),
    queueCapacity: int(env, "RUNTIME_QUEUE_SIZE", 32, 1, 100_000),
    maxBatchLanes: int(env, "RUNTIME_MAX_BATCH", 4, 1, 64),
    batchWindowMs: int(env, "RUNTIME_BATCH_WINDOW_MS", 10, 0, 10_000),
    shutdownGraceMs: int(env, "RUNTIME_SHUTDOWN_GRACE_MS", 30_000, 0, 3_600_000),
    promptCacheSize: int(env, "RUNTIME_PROMPT_CACHE", 256, 0, 1_000_000),
    faceCacheSize: int(env, "RUNTIME_FACE_CACHE", 1024, 0, 1_000_000),
    faces: facesConfigFromEnv(env, cwd),
  };
}

/**
 * POST /v1/faces/analyze's settings: RUNTIME_FACE_PACK (lite | antelopev2; default lite),
 * RUNTIME_FACE_PACK_DIR (default: the pack's usual folder), RUNTIME_FACE_WORKERS (default 1),
 * RUNTIME_FACE_PROVIDERS (the face networks' execution providers, e.g. "webgpu,cpu"; default cpu),
 * RUNTIME_FACE_BATCH (most photos of concurrent requests analysed as one batch, 1 = off; default: 8 on a
 * GPU provider, off on cpu), and the photo limits under the same names as the Node edge's
 * (PHOTO_MAX_BYTES, PHOTO_MAX_PIXELS), so one setting gives both edges the same intake.
 */
export function facesConfigFromEnv(env: Readonly<Record<string, string | undefined>>, cwd = process.cwd()): RuntimeFacesConfig {
  const pack = env.RUNTIME_FACE_PACK || "lite";
  if (!Object.hasOwn(DEFAULT_FACE_PACK_DIRS, pack)) {
    throw new RuntimeConfigError(`RUNTIME_FACE_PACK must be one of ${Object.keys(DEFAULT_FACE_PACK_DIRS).join(", ")}, got "${pack}"`);
  }
  const name = pack as FacePackName;
  return {
    pack: {
      pack: name,
      dir: env.RUNTIME_FACE_PACK_DIR ? resolve(cwd, env.RUNTIME_FACE_PACK_DIR) : DEFAULT_FACE_PACK_DIRS[name],
      ...(env.RUNTIME_FACE_PROVIDERS ? { providers: providers(env.RUNTIME_FACE_PROVIDERS) } : {}),
    },
    photoLimits: {
      maxBytes: int(env, "PHOTO_MAX_BYTES", DEFAULT_IMAGE_LIMITS.maxBytes, 1, Number.MAX_SAFE_INTEGER),
      maxPixels: int(env, "PHOTO_MAX_PIXELS", DEFAULT_IMAGE_LIMITS.maxPixels, 1, Number.MAX_SAFE_INTEGER),
    },
    workers: int(env, "RUNTIME_FACE_WORKERS", 1, 1, 64),
    ...(env.RUNTIME_FACE_BATCH ? { batch: { maxImages: int(env, "RUNTIME_FACE_BATCH", 1, 1, 64), windowMs: DEFAULT_FACE_BATCH.windowMs } } : {}),
  };
}

function int(env: Readonly<Record<string, string | undefined>>, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const v = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(v) || v < min || v > max) {
    throw new RuntimeConfigError(`${name} must be an integer in [${min}, ${max}], got "${raw}"`);
  }
  return v;
}

/** "webgpu,cpu" -> ["webgpu", "cpu"]. */
export function providers(list: string): ExecutionProvider[] {
  const names = list.split(",").map((s) => s.trim().toLowerCase()).filter(Boolean);
  if (names.length === 0) throw new RuntimeConfigError("RUNTIME_PROVIDERS must name at least one execution provider");
  for (const n of names) {
    if (!(PROVIDERS as readonly string[]).includes(n)) throw new RuntimeConfigError(`RUNTIME_PROVIDERS: unknown execution provider "${n}" (known: ${PROVIDERS.join(", ")})`);
  }
  if (new Set(names).size !== names.length) throw new RuntimeConfigError(`RUNTIME_PROVIDERS lists a provider twice: "${list}"`);
  return names as ExecutionProvider[];
}
