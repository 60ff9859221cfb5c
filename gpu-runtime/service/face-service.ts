/**
 * Face analysis served by the runtime (POST /v1/faces/analyze) for an edge that cannot run it,
 * e.g. a Worker: shared/image's intake with the configured limits, then shared/face's ONNX
 * analyser. The analyser's worker pool starts on the first request (a runtime whose edge analyses
 * faces itself never pays for it) and is shared by every request after, so concurrent requests
 * queue on the same workers instead of each loading the pack.
 */
import type { DetectedFace, FaceAnalyser, FacePackName } from "../../shared/face/face-analyser.ts";
import type { FacePackConfig } from "../../shared/face/face-pack-config.ts";
import { createFaceAnalyser } from "../../shared/face/onnx-face-analyser.ts";
import { decodeImage, type ImageIntakeLimits } from "../../shared/image/image-intake.ts";

export interface RuntimeFacesConfig {
  readonly pack: FacePackConfig;
  readonly photoLimits: ImageIntakeLimits;
  /** Analyser worker threads. */
  readonly workers: number;
  /**
   * Photos arriving within windowMs of each other are analysed together (at most maxImages), each
   * network running their faces' rows as one batch where its model allows it with results identical
   * to one photo at a time. maxImages 1 turns it off. Default: DEFAULT_FACE_BATCH on a GPU provider, off
   * on cpu (there a batch computes the same rows in one call and gains nothing: bench/face.ts measured the
   * lite pack at 14.8 images/s batched vs 19.4 one by one on one thread).
   */
  readonly batch?: { readonly maxImages: number; readonly windowMs: number };
}

export const DEFAULT_FACE_BATCH = { maxImages: 8, windowMs: 5 } as const;
const NO_BATCH = { maxImages: 1, windowMs: 0 } as const;

export interface PhotoFaces {
  readonly pack: FacePackName;
  readonly width: number;
  readonly height: number;
  readonly faces: readonly DetectedFace[];
}

export class RuntimeFaceService {
  readonly #config: RuntimeFacesConfig;
  #analyser: Promise<FaceAnalyser> | undefined;
  #closed = false;

  constructor(config: RuntimeFacesConfig) {
    this.#config = config;
  }

  get photoLimits(): ImageIntakeLimits {
    return this.#config.photoLimits;
  }

  /** Throws ImageIntakeError for a refused photo, FaceAnalysisError when the pack cannot run. */
  async analyse(photo: Uint8Array): Promise<PhotoFaces> {
    const image = await decodeImage(photo, this.#config.photoLimits);
    const analyser = await this.#start();
    const faces = await analyser.analyse(image);
    return { pack: analyser.pack, width: image.width, height: image.height, faces };
  }

  async close(): Promise<void> {
    this.#closed = true;
    const analyser = this.#analyser;
    this.#analyser = undefined;
    if (analyser) await analyser.then((a) => a.close(), () => undefined);
  }

  #start(): Promise<FaceAnalyser> {
    if (this.#closed) return Promise.reject(new Error("the runtime is shutting down"));
    if (!this.#analyser) {
      const gpu = (this.#config.pack.providers ?? ["cpu"])[0] !== "cpu";
      const batch = this.#config.batch ?? (gpu ? DEFAULT_FACE_BATCH : NO_BATCH);
      const starting = createFaceAnalyser({ ...this.#config.pack, batchRows: batch.maxImages > 1 }, { workers: this.#config.workers, batch });
      this.#analyser = starting;
      // A failed start (pack not fetched yet) is retried by the next request, not remembered.
      starting.catch(() => {
        if (this.#analyser === starting) this.#analyser = undefined;
      });
    }
    return this.#analyser;
  }
}
