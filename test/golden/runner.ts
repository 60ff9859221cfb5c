import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { loadGoldenCase, type GoldenCase, type GoldenResult } from "./golden-case.ts";

/** A component runner lives in components/<component>.ts and exports `run`. */
export type ComponentRunner = (c: GoldenCase) => Promise<GoldenResult>;

const componentsDir = join(dirname(fileURLToPath(import.meta.url)), "components");

export async function runGoldenCase(path: string): Promise<GoldenResult> {
  let c: GoldenCase;
  try {
    c = loadGoldenCase(path);
  } catch (err) {
    return { case: path, component: "", maxAbsErr: null, atol: null, pass: false, reason: (err as Error).message };
  }
  const file = join(componentsDir, `${c.component}.ts`);
  if (!/^[a-z0-9_]+$/.test(c.component) || !existsSync(file)) {
    return { case: c.name, component: c.component, maxAbsErr: null, atol: null, pass: false, reason: `unknown component "${c.component}"` };
  }
  try {
    const mod = (await import(pathToFileURL(file).href)) as { run: ComponentRunner };
    const result = await mod.run(c);
    // Every runner names what it compared in `detail`; a pass with nothing compared is no pass.
    if (result.pass && Object.keys(result.detail ?? {}).length === 0) {
      return { ...result, pass: false, reason: "the case compared nothing" };
    }
    return result;
  } catch (err) {
    return { case: c.name, component: c.component, maxAbsErr: null, atol: null, pass: false, reason: (err as Error).stack ?? String(err) };
  }
}
