/**
 * Where each face pack's files are put on disk unless configured otherwise (git-ignored folders
 * under models/packs): the lite pack's fetcher writes there, and the Node edge and runtime read there.
 */
import { fileURLToPath } from "node:url";
import type { FacePackName } from "./face-analyser.ts";

export const DEFAULT_LITE_PACK_DIR = fileURLToPath(new URL("../../models/packs/face-lite/", import.meta.url));
/** insightface's antelopev2 folder. */
export const DEFAULT_ANTELOPEV2_DIR = fileURLToPath(new URL("../../models/packs/antelopev2/", import.meta.url));

export const DEFAULT_FACE_PACK_DIRS: Readonly<Record<FacePackName, string>> = {
  lite: DEFAULT_LITE_PACK_DIR,
  antelopev2: DEFAULT_ANTELOPEV2_DIR,
};
