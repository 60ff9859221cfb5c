/**
 * The in-process analyser of the Node edge: a small worker-thread pool, created once, each
 * worker holding the pack's ONNX sessions, so analyses never run on the event loop. Concurrent
 * calls queue first-come first-served.
 */
import { availableParallelism } from "node:os";
import { WorkerPool } from "../workers/worker-pool.ts";
import { WorkerPoolError } from "../workers/worker-pool-error.ts";
import type { AnalyserWorkerData } from "./analyser-worker.ts";
import type { DecodedImage, DetectedFace, FaceAnalyser, FacePackName } from "./face-analyser.ts";
import { FACE_ANALYSIS_ERROR_CODES, FaceAnalysisError, type FaceAnalysisErrorCode } from "./face-analysis-error.ts";
import type { FacePackConfig } from "./face-pack-config.ts";

export interface FaceAnalyserOptions {
  /** Worker threads (each with its own sessions). Default: min(2, cores - 1), at least 1. */
  readonly workers?: number;
  /** Fail an analysis (and replace its worker) after this long. Default: no limit. */
  readonly timeoutMs?: number;
  /**
   * Photos that arrive together are analysed as one task, their faces' rows sharing each network's
   * runs (with config.batchRows, results identical to one at a time): a photo waits at most windowMs
   * for others, and a batch holds at most maxImages. Default: one photo per task.
   */
  readonly batch?: { readonly maxImages: number; readonly windowMs: number };
}

/** How many tasks the analyser sent and how many photos they held, since it started. */
export interface FaceAnalyserStats {
  readonly tasks: number;
  readonly images: number;
  readonly largestBatch: number;
}

export function defaultWorkerCount(): number {
  return Math.max(1, Math.min(2, availableParallelism() - 1));
}

/** Starts the workers and waits until every one has loaded the pack (a missing pack fails here). */
export async function createFaceAnalyser(config: FacePackConfig, options: FaceAnalyserOptions = {}): Promise<FaceAnalyser & { stats(): FaceAnalyserStats }> {
  const workerData: AnalyserWorkerData = { config };
  const pool = new WorkerPool<readonly DecodedImage[], DetectedFace[][]>({
    script: new URL("./analyser-worker.ts", import.meta.url),
    size: options.workers ?? defaultWorkerCount(),
    workerData,
    name: `face-${config.pack}`,
    ...(options.timeoutMs ? { taskTimeoutMs: options.timeoutMs } : {}),
  });
  try {
    await pool.ready();
  } catch (err) {
    await pool.close();
    throw toFaceAnalysisError(err);
  }
  return new PooledFaceAnalyser(config.pack, pool, options.batch);
}

interface Waiting {
  readonly image: DecodedImage;
  readonly resolve: (faces: DetectedFace[]) => void;
  readonly reject: (err: unknown) => void;
}

class PooledFaceAnalyser implements FaceAnalyser {
  #tasks = 0;
  #images = 0;
  #largest = 0;
  /** Photos collected for the next batch, and the timer that sends it. */
  #waiting: Waiting[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly pack: FacePackName,
    private readonly pool: WorkerPool<readonly DecodedImage[], DetectedFace[][]>,
    private readonly batch?: FaceAnalyserOptions["batch"],
  ) {}

  stats(): FaceAnalyserStats {
    return { tasks: this.#tasks, images: this.#images, largestBatch: this.#largest };
  }

  async analyse(image: DecodedImage): Promise<DetectedFace[]> {
    const { width, height, rgb } = image;
    if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0) || !(rgb instanceof Uint8Array) || rgb.length !== width * height * 3) {
      throw new FaceAnalysisError("invalid_image", `expected ${width}x${height}x3 RGB bytes, got ${rgb?.length ?? "none"}`);
    }
    // Not transferred: the pixels are cloned when a worker takes the task, one task at a time,
    // and the caller keeps its buffer. Copying all queued images up front stalled the event
    // loop (20 group photos: 150 MB in one tick). A view into a larger buffer is cut out first,
    // since cloning a view clones its whole buffer.
    const whole = rgb.byteOffset === 0 && rgb.byteLength === rgb.buffer.byteLength;
    const own = { rgb: whole ? rgb : rgb.slice(), width, height };
    if (!this.batch || this.batch.maxImages <= 1) return (await this.#send([own]))[0]!;
    return new Promise<DetectedFace[]>((resolve, reject) => {
      this.#waiting.push({ image: own, resolve, reject });
      if (this.#waiting.length >= this.batch!.maxImages) this.#flush();
      else this.#timer ??= setTimeout(() => this.#flush(), this.batch!.windowMs);
    });
  }

  close(): Promise<void> {
    this.#flush();
    return this.pool.close();
  }

  #flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#waiting;
    this.#waiting = [];
    if (batch.length === 0) return;
    this.#send(batch.map((w) => w.image)).then(
      (perImage) => batch.forEach((w, i) => w.resolve(perImage[i]!)),
      (err: unknown) => batch.forEach((w) => w.reject(err)),
    );
  }

  async #send(images: DecodedImage[]): Promise<DetectedFace[][]> {
    this.#tasks++;
    this.#images += images.length;
    this.#largest = Math.max(this.#largest, images.length);
    try {
      const perImage = await this.pool.run(images);
      if (perImage.length !== images.length) throw new FaceAnalysisError("analysis_failed", `the analyser answered ${perImage.length} photos for ${images.length}`);
      return perImage;
    } catch (err) {
      throw toFaceAnalysisError(err);
    }
  }
}

const POOL_CODES: Partial<Record<string, FaceAnalysisErrorCode>> = {
  worker_died: "worker_died",
  task_timeout: "analysis_timeout",
  pool_closed: "analyser_closed",
};

function toFaceAnalysisError(err: unknown): Error {
  if (!(err instanceof WorkerPoolError)) return err instanceof Error ? err : new Error(String(err));
  const remote = err.remote;
  if (remote?.name === "FaceAnalysisError" && FACE_ANALYSIS_ERROR_CODES.includes(remote.code as FaceAnalysisErrorCode)) {
    return new FaceAnalysisError(remote.code as FaceAnalysisErrorCode, remote.message, { cause: err });
  }
  return new FaceAnalysisError(POOL_CODES[err.code] ?? "analysis_failed", err.message, { cause: err });
}
