/** The runtime's metrics: queue depth, step time, images, errors (GET /metrics). */
import type { QueueStats } from "../queue/generation-queue.ts";
import { Counter, Gauge, Histogram, Registry } from "./prometheus.ts";

export interface RuntimeMetrics {
  readonly registry: Registry;
  readonly requests: Counter;
  readonly images: Counter;
  readonly errors: Counter;
  readonly cancelled: Counter;
  readonly stepSeconds: Histogram;
  readonly batchLanes: Histogram;
  readonly generationSeconds: Histogram;
  /** POST /v1/faces/analyze answers with faces (or none), and how long each took. */
  readonly faceAnalyses: Counter;
  readonly faceAnalysisSeconds: Histogram;
}

export function createRuntimeMetrics(queueStats: () => QueueStats): RuntimeMetrics {
  const registry = new Registry();
  registry.add(new Gauge("instantid_queue_depth", "Generation requests waiting for a runner.", () => queueStats().waiting));
  registry.add(new Gauge("instantid_requests_running", "Generation requests being denoised now.", () => queueStats().running));
  return {
    registry,
    requests: registry.add(new Counter("instantid_requests_total", "Generation requests accepted into the queue.")),
    images: registry.add(new Counter("instantid_images_total", "Images generated and sent.")),
    errors: registry.add(new Counter("instantid_errors_total", "Requests refused or failed, by error code.")),
    cancelled: registry.add(new Counter("instantid_cancelled_total", "Requests cancelled before they finished, by reason.")),
    stepSeconds: registry.add(
      new Histogram("instantid_step_seconds", "Wall time of one denoising step of a batch (IdentityNet + UNet + scheduler).", [
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
      ]),
    ),
    batchLanes: registry.add(new Histogram("instantid_batch_lanes", "Images denoised together in one batch.", [1, 2, 4, 8, 16])),
    generationSeconds: registry.add(
      new Histogram("instantid_generation_seconds", "Time from acceptance to the last image of a request.", [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300]),
    ),
    faceAnalyses: registry.add(new Counter("instantid_face_analyses_total", "Photos analysed by POST /v1/faces/analyze.")),
    faceAnalysisSeconds: registry.add(
      new Histogram("instantid_face_analysis_seconds", "Time to decode and analyse one photo for POST /v1/faces/analyze.", [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]),
    ),
  };
}
