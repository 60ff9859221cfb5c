/** Where a pulled pack, its face-analysis files and its lock file live under the packs folder. */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { SourceManifest } from "./source-manifest.ts";

/** models/packs, beside the tiny pack (git-ignored; the container mounts a volume here). */
export const DEFAULT_PACKS_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "packs");

/** In the compiled pack: digest of the sources it was compiled from (skip recompiling when unchanged). */
export const SOURCES_STAMP = ".sources-digest";

export interface PackPaths {
  packDir: string;
  faceDir: string;
  lockFile: string;
}

export function packPaths(packsDir: string, m: SourceManifest): PackPaths {
  return { packDir: join(packsDir, m.name), faceDir: join(packsDir, m.facePack), lockFile: join(packsDir, `${m.name}.lock.json`) };
}
