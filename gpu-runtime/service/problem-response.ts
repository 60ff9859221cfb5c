/** RFC 9457 problem+json answers with the contract's stable codes. */
import {
  PROBLEM_CONTENT_TYPE,
  type FacesAnalyzeErrorCode,
  type Problem,
  type ProblemFieldError,
  type RuntimeErrorCode,
} from "../../shared/contract/index.ts";

export function problemResponse(
  status: number,
  code: RuntimeErrorCode | FacesAnalyzeErrorCode,
  title: string,
  extra: { detail?: string; errors?: ProblemFieldError[]; headers?: Record<string, string> } = {},
): Response {
  const body: Problem = {
    type: "about:blank",
    title,
    status,
    code,
    ...(extra.detail !== undefined ? { detail: extra.detail } : {}),
    ...(extra.errors ? { errors: extra.errors } : {}),
  };
  return new Response(JSON.stringify(body), { status, headers: { "content-type": PROBLEM_CONTENT_TYPE, ...extra.headers } });
}
