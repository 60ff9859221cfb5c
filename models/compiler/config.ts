import type { z } from "zod";
import { CompileError } from "./compile-error.ts";

/** Validates a diffusers config.json against a component's schema, naming every bad field. */
export function parseConfig<S extends z.ZodType>(schema: S, raw: unknown, what: string): z.infer<S> {
  const r = schema.safeParse(raw);
  if (!r.success) {
    const fields = r.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
    throw new CompileError("bad_config", `${what} config is invalid: ${fields}`);
  }
  return r.data;
}
