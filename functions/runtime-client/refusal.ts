/** A runtime's non-2xx answer (problem+json, RFC 9457) as a RuntimeCallError. */
import { ProblemSchema } from "../../shared/contract/problem.ts";
import { RuntimeCallError } from "./runtime-call-error.ts";

export function runtimeRefusal(status: number, retryAfterHeader: string | null, bodyText: string): RuntimeCallError {
  let problemCode: string | undefined;
  let detail = `runtime answered HTTP ${status}`;
  try {
    const parsed = ProblemSchema.safeParse(JSON.parse(bodyText));
    if (parsed.success) {
      problemCode = parsed.data.code;
      detail = parsed.data.detail ?? parsed.data.title;
    }
  } catch {
    // Not a problem body: the status alone decides.
  }
  const options = { runtimeCode: problemCode, retryAfterSeconds: parseRetryAfter(retryAfterHeader) };
  if (problemCode === "embedding_pack_mismatch" || problemCode === "scheduler_unavailable") {
    return new RuntimeCallError(problemCode, detail, options);
  }
  if (status === 503 || problemCode === "queue_full" || problemCode === "shutting_down") {
    return new RuntimeCallError("runtime_busy", detail, options);
  }
  if (status >= 500) return new RuntimeCallError("runtime_unavailable", detail, options);
  return new RuntimeCallError("runtime_rejected", detail, options);
}

function parseRetryAfter(v: string | null): number | undefined {
  if (v === null) return undefined;
  const s = Number(v);
  if (Number.isFinite(s) && s >= 0) return Math.ceil(s);
  const date = Date.parse(v);
  return Number.isFinite(date) ? Math.max(0, Math.ceil((date - Date.now()) / 1000)) : undefined;
}
