/** The golden format (../shared/golden/README.md): one directory per case, or a tokenizer .json file. */
import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";

export interface GoldenCase {
  /** Directory (or .json file) of the case. */
  readonly path: string;
  readonly name: string;
  readonly component: string;
  readonly meta: Record<string, unknown>;
}

export interface GoldenResult {
  case: string;
  component: string;
  maxAbsErr: number | null;
  atol: number | null;
  pass: boolean;
  reason?: string;
  /** Per-output detail, for components with several outputs. */
  detail?: Record<string, number>;
}

export function loadGoldenCase(path: string): GoldenCase {
  const name = basename(path.replace(/\/+$/, ""));
  if (!existsSync(path)) throw new Error(`${path}: no such case`);
  if (statSync(path).isFile()) {
    const json = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
    const component = typeof json.component === "string" ? json.component : Array.isArray(json.cases) ? "tokenizer" : "";
    return { path, name, component, meta: json };
  }
  const metaPath = join(path, "meta.json");
  if (!existsSync(metaPath)) throw new Error(`${path}: no meta.json`);
  const meta = JSON.parse(readFileSync(metaPath, "utf8")) as Record<string, unknown>;
  return { path, name, component: typeof meta.component === "string" ? meta.component : "", meta };
}

export function atolOf(c: GoldenCase): number {
  const atol = c.meta.atol;
  if (typeof atol !== "number") throw new Error(`${c.name}: meta.json has no numeric atol`);
  return atol;
}
