import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { silentProgress, type Progress } from "../pack/progress.ts";
import { buildTinyPack, TINY_PACK_DIR } from "./build-tiny-pack.ts";

const modelsDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const STAMP = ".source-hash";

/** Digest of every source the tiny pack is derived from: a compiler change rebuilds it. */
function sourceHash(): string {
  const hash = createHash("sha256");
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(ts|json)$/.test(e.name)) hash.update(p.slice(modelsDir.length)).update(readFileSync(p));
    }
  };
  for (const d of ["compiler", "tiny", "pack"]) walk(join(modelsDir, d));
  return hash.digest("hex");
}

/** Builds the tiny pack unless an up-to-date one is already there. Returns its folder. */
export async function ensureTinyPack(o: { dir?: string; progress?: Progress } = {}): Promise<string> {
  const dir = o.dir ?? TINY_PACK_DIR;
  const want = sourceHash();
  const stamp = join(dir, STAMP);
  if (existsSync(join(dir, "pack.json")) && existsSync(stamp) && readFileSync(stamp, "utf8") === want) return dir;
  await buildTinyPack(dir, { progress: o.progress ?? silentProgress });
  writeFileSync(stamp, want);
  return dir;
}
