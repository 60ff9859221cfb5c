/**
 * The Node edge's face kit: photo intake (shared/image) with its limits, and the in-process ONNX
 * analyser (shared/face) for one pack, configured from the environment. `npm start`, the direct
 * `tsx functions/node.ts` run and the tests all build the edge's face analysis here.
 *
 * Env: FACE_PACK (lite | antelopev2; default lite), FACE_PACK_DIR (default: where the pack is
 * put: the lite pack's fetch folder, or models/packs/antelopev2), FACE_WORKERS (analyser worker
 * threads; default shared/face's), PHOTO_MAX_BYTES and PHOTO_MAX_PIXELS (default shared/image's).
 */
import { resolve } from "node:path";
import type { FaceAnalyser, FacePackName } from "../../../shared/face/face-analyser.ts";
import type { FacePackConfig } from "../../../shared/face/face-pack-config.ts";
import { createFaceAnalyser } from "../../../shared/face/onnx-face-analyser.ts";
import { DEFAULT_FACE_PACK_DIRS } from "../../../shared/face/pack-dirs.ts";
import { decodeImage, DEFAULT_IMAGE_LIMITS, type ImageIntakeLimits } from "../../../shared/image/image-intake.ts";
import type { DecodePhoto } from "../../photos/decode-photo.ts";

export interface FaceKitConfig {
  readonly pack: FacePackConfig;
  readonly photoLimits: ImageIntakeLimits;
  /** Analyser worker threads; undefined: shared/face's default. */
  readonly workers?: number;
}

/** What the edge needs for face analysis. startEdge calls createFaceAnalyser once and closes what it returns. */
export interface FaceKit {
  readonly decodePhoto: DecodePhoto;
  createFaceAnalyser(): Promise<FaceAnalyser>;
}

/** A setting in the environment that cannot be used; the message names the variable and what it takes. */
export class FaceKitConfigError extends Error {
  override readonly name = "FaceKitConfigError";
  readonly code = "invalid_face_kit_config";
}

export function faceKitConfigFromEnv(env: NodeJS.ProcessEnv = process.env): FaceKitConfig {
  const packName = setting(env, "FACE_PACK") ?? "lite";
  if (!Object.hasOwn(DEFAULT_FACE_PACK_DIRS, packName)) {
    throw new FaceKitConfigError(`FACE_PACK=${JSON.stringify(packName)}: expected one of ${Object.keys(DEFAULT_FACE_PACK_DIRS).join(", ")}`);
  }
  const pack = packName as FacePackName;
  const dirSetting = setting(env, "FACE_PACK_DIR");
  const dir = dirSetting === undefined ? DEFAULT_FACE_PACK_DIRS[pack] : resolve(dirSetting);
  const workers = positiveInteger(env, "FACE_WORKERS");
  return {
    pack: { pack, dir },
    photoLimits: {
      maxBytes: positiveInteger(env, "PHOTO_MAX_BYTES") ?? DEFAULT_IMAGE_LIMITS.maxBytes,
      maxPixels: positiveInteger(env, "PHOTO_MAX_PIXELS") ?? DEFAULT_IMAGE_LIMITS.maxPixels,
    },
    ...(workers === undefined ? {} : { workers }),
  };
}

export function createFaceKit(config: FaceKitConfig): FaceKit {
  const limits = { ...config.photoLimits };
  return {
    decodePhoto: (bytes) => decodeImage(bytes, limits),
    createFaceAnalyser: () => createFaceAnalyser(config.pack, config.workers === undefined ? {} : { workers: config.workers }),
  };
}

/** One line for the start-up log. */
export function describeFaceKit(config: FaceKitConfig): string {
  const { maxBytes, maxPixels } = config.photoLimits;
  return `face pack ${config.pack.pack} (${config.pack.dir}); photos up to ${maxBytes} bytes, ${maxPixels} pixels`;
}

/** Unset and empty are the same: the default applies. */
function setting(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function positiveInteger(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const value = setting(env, name);
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new FaceKitConfigError(`${name}=${JSON.stringify(value)}: expected a positive whole number`);
  }
  return n;
}
