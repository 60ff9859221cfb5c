/**
 * One file into the Hugging Face cache with @huggingface/hub's downloadFileToCacheDir (only that
 * file, never the repository), through the resuming fetch, with the hub's failures turned into
 * PullErrors that say what to do.
 */
import { downloadFileToCacheDir, HubApiError } from "@huggingface/hub";
import type { FileProgress } from "./download-progress.ts";
import { createHubFetch } from "./hub-fetch.ts";
import { blobsDir, type HubLocation } from "./hub-location.ts";
import { PullError } from "./pull-error.ts";
import type { PinnedFile } from "./source-manifest.ts";

export interface FetchToCacheOptions extends HubLocation {
  progress: FileProgress;
  retries?: number;
  retryDelayMs?: number;
  fetch?: typeof fetch;
}

export interface Fetched {
  /** The snapshot path (a symlink to the blob). */
  path: string;
  /** False when the cache already held these bytes as another file's blob (nothing crossed the network). */
  transferred: boolean;
}

export async function fetchToCache(f: PinnedFile, o: FetchToCacheOptions): Promise<Fetched> {
  let transferred = false;
  const hub = createHubFetch({
    blobsDir: blobsDir(o.cacheDir, f.repo),
    onStart: (total, from) => {
      transferred = true;
      o.progress.begin(total ?? f.bytes ?? undefined, from);
    },
    onBytes: (n) => o.progress.advance(n),
    onRetry: (offset, reason) => o.progress.retrying(offset, reason),
    ...(o.retries !== undefined ? { retries: o.retries } : {}),
    ...(o.retryDelayMs !== undefined ? { retryDelayMs: o.retryDelayMs } : {}),
    ...(o.fetch ? { fetch: o.fetch } : {}),
  });
  try {
    const pointer = await downloadFileToCacheDir({
      repo: { type: "model", name: f.repo },
      path: f.path,
      revision: f.revision,
      hubUrl: o.hubUrl,
      cacheDir: o.cacheDir,
      fetch: hub.fetch,
      ...(o.accessToken ? { accessToken: o.accessToken } : {}),
    });
    hub.discardResume();
    return { path: pointer, transferred };
  } catch (err) {
    throw explain(err, f, o.hubUrl);
  }
}

function explain(err: unknown, f: PinnedFile, hubUrl: string): PullError {
  const e = err as Error;
  if (err instanceof PullError) return new PullError(err.code, `${f.key}: ${err.message}`, f.key, { cause: err });
  if (err instanceof HubApiError) {
    if (err.statusCode === 401 || err.statusCode === 403) {
      return new PullError("auth", `${f.key}: ${hubUrl} refused access (HTTP ${err.statusCode}). If the repository is gated, accept its terms on the hub and set HF_TOKEN to a token with read access.`, f.key, { cause: err });
    }
    if (err.statusCode === 404) return new PullError("file_missing", `${f.key}: not found on ${hubUrl} (repository or revision ${f.revision} does not exist): ${e.message}`, f.key, { cause: err });
    return new PullError("hub_error", `${f.key}: ${hubUrl} answered HTTP ${err.statusCode}: ${e.message}`, f.key, { cause: err });
  }
  if (/cannot get path info/.test(e?.message ?? "")) {
    return new PullError("file_missing", `${f.key}: ${f.repo} has no file ${f.path} at revision ${f.revision}`, f.key, { cause: err });
  }
  if (err instanceof TypeError && /access token/i.test(e.message)) {
    return new PullError("auth", `HF_TOKEN is not a Hugging Face token: ${e.message}`, f.key, { cause: err });
  }
  // A PullError raised inside the body stream may reach us wrapped by the stream machinery.
  const inner = (e as { cause?: unknown })?.cause;
  if (inner instanceof PullError) return explain(inner, f, hubUrl);
  return new PullError("network", `${f.key}: ${e?.message ?? String(err)}`, f.key, { cause: err });
}
