/**
 * RFC 9457 problem details, as both the edge and the runtime answer errors. `code` is the stable,
 * machine-readable reason (clients switch on it, never on `title` or `detail`).
 */
import { z } from "zod";

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

export const ProblemFieldErrorSchema = z.object({
  /** JSON path of the offending field, e.g. "steps" or "pose.identityId". */
  path: z.string(),
  message: z.string(),
});

export const ProblemSchema = z
  .object({
    type: z.string().default("about:blank"),
    title: z.string(),
    status: z.number().int().min(400).max(599),
    detail: z.string().optional(),
    instance: z.string().optional(),
    code: z.string().regex(/^[a-z][a-z0-9_]*$/),
    /** Present on validation problems: one entry per invalid field. */
    errors: z.array(ProblemFieldErrorSchema).optional(),
  })
  .loose()
  .meta({ description: "RFC 9457 problem details with a stable `code`." });

export type Problem = z.infer<typeof ProblemSchema>;
export type ProblemFieldError = z.infer<typeof ProblemFieldErrorSchema>;

/** Field errors from a zod error, in the problem's `errors` shape. */
export function fieldErrorsOf(error: z.ZodError): ProblemFieldError[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join("."),
    message: issue.message,
  }));
}
