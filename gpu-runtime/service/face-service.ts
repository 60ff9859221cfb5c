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
}

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
      const starting = createFaceAnalyser(this.#config.pack, { workers: this.#config.workers });
      this.#analyser = starting;
      // A failed start (pack not fetched yet) is retried by the next request, not remembered.
      starting.catch(() => {
        if (this.#analyser === starting) this.#analyser = undefined;
      });
    }
    return this.#analyser;
  }
}
