/** How a queued request reaches the pipeline: the queue's jobs become the pipeline's tasks. */
import type { RuntimeGenerateRequest } from "../../shared/contract/index.ts";
import type { GenerationEvents, GenerationOutcome, GenerationTask } from "../pipeline/generation-task.ts";
import type { BatchRunner, JobOutcome } from "../queue/batch-job.ts";

export interface GenerationJobPayload {
  readonly request: RuntimeGenerateRequest;
  readonly events: GenerationEvents;
}

export interface BatchPipeline {
  generate(tasks: readonly GenerationTask[]): Promise<GenerationOutcome[]>;
}

export function pipelineBatchRunner(pipeline: BatchPipeline): BatchRunner<GenerationJobPayload> {
  return async (jobs) => {
    const outcomes = await pipeline.generate(
      jobs.map((job) => ({ request: job.payload.request, events: job.payload.events, cancelled: () => job.cancelReason !== undefined })),
    );
    return outcomes.map((o, i): JobOutcome => (o.status === "cancelled" ? { status: "cancelled", reason: jobs[i]!.cancelReason ?? "client_gone" } : o));
  };
}
