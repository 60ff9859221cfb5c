/**
 * Where the hub and its local cache are, from the same environment variables the Python
 * huggingface_hub and @huggingface/hub read, so a cache filled by either is shared.
 */
import { homedir } from "node:os";
import { join } from "node:path";

export const DEFAULT_HUB_URL = "https://huggingface.co";

export interface HubLocation {
  /** HF_ENDPOINT, or huggingface.co. */
  hubUrl: string;
  /** The hub cache: HF_HUB_CACHE, else HUGGINGFACE_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub. */
  cacheDir: string;
  /** HF_TOKEN (needed for gated or private repositories only). */
  accessToken: string | undefined;
}

export function hubLocationFromEnv(env: NodeJS.ProcessEnv = process.env): HubLocation {
  const home = env.HF_HOME ?? join(env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "huggingface");
  return {
    hubUrl: (env.HF_ENDPOINT || DEFAULT_HUB_URL).replace(/\/+$/, ""),
    cacheDir: env.HF_HUB_CACHE ?? env.HUGGINGFACE_HUB_CACHE ?? join(home, "hub"),
    accessToken: env.HF_TOKEN || undefined,
  };
}

/** The cache folder of a model repository: models--owner--name (the hub cache layout). */
export function repoCacheDir(cacheDir: string, repo: string): string {
  return join(cacheDir, `models--${repo.split("/").join("--")}`);
}

/** snapshots/<commit>/<path>: a symlink to the blob once the file is complete. */
export function snapshotPath(cacheDir: string, repo: string, revision: string, path: string): string {
  return join(repoCacheDir(cacheDir, repo), "snapshots", revision, ...path.split("/"));
}

export function blobsDir(cacheDir: string, repo: string): string {
  return join(repoCacheDir(cacheDir, repo), "blobs");
}
