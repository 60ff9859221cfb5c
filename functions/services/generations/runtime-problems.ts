/** A runtime that refused a request, as the edge's answer to its client. */
import { ApiError } from "../../errors/api-error.ts";
import { RuntimeCallError } from "../../runtime-client/runtime-call-error.ts";

export function runtimeProblem(e: RuntimeCallError): ApiError {
  switch (e.code) {
    case "runtime_busy": {
      const retry = Math.max(1, e.retryAfterSeconds ?? 5);
      return new ApiError(503, e.code, "GPU runtime busy", {
        detail: e.message,
        headers: { "Retry-After": String(retry) },
        extensions: { retryAfterSeconds: retry, retryable: true },
      });
    }
    case "runtime_unavailable":
      // The runtime is down or restarting (npm start restarts it): the same request will work later.
      return new ApiError(503, e.code, "GPU runtime unavailable", {
        detail: e.message,
        headers: { "Retry-After": "5" },
        extensions: { retryAfterSeconds: 5, retryable: true },
      });
    case "embedding_pack_mismatch":
      return new ApiError(422, e.code, "Identity made by an unsupported face pack", { detail: e.message });
    case "scheduler_unavailable":
      return new ApiError(422, e.code, "Scheduler not available", { detail: e.message });
    default:
      return new ApiError(502, e.code, "GPU runtime error", { detail: e.message });
  }
}
