/**
 * The fetch given to @huggingface/hub's downloadFileToCacheDir. The library downloads a file with one
 * plain GET into blobs/<etag>.incomplete (truncating it first) and never resumes; this wrapper adds
 * what it lacks while the library keeps its cache layout:
 *  - resume across runs: once paths-info names the blob, a partial `.incomplete` an interrupted run
 *    left is moved aside to `.resume`; the content GET then asks only for the rest (Range) and
 *    streams the saved bytes followed by the new ones, so the library still writes the whole file;
 *  - resume within a run: a connection cut mid-body is picked up with a Range request from the last
 *    byte received (a few times, then the run fails and the next run resumes from disk);
 *  - progress: every new byte is counted;
 *  - plain HTTP: the xet protocol is declined (Accept header) so every file downloads, and resumes,
 *    the same way.
 */
import { createReadStream, existsSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { ReadableStream as NodeReadableStream } from "node:stream/web";
import { setTimeout as delay } from "node:timers/promises";
import { PullError } from "./pull-error.ts";

export interface HubFetchOptions {
  /** The repository's blobs/ folder in the hub cache. */
  blobsDir: string;
  /** Called when the content starts flowing: its total size and the bytes reused from an earlier run. */
  onStart?: (total: number | undefined, resumedFrom: number) => void;
  /** Called for every chunk that came over the network. */
  onBytes?: (n: number) => void;
  /** Called before a Range re-request after the connection was lost at byte `offset`. */
  onRetry?: (offset: number, reason: string) => void;
  /** Range re-requests after a cut before giving up (default 5). */
  retries?: number;
  retryDelayMs?: number;
  fetch?: typeof fetch;
}

export interface HubFetch {
  fetch: typeof fetch;
  /** Forget the saved partial once the library has the whole file. */
  discardResume(): void;
}

const RETRYABLE_STATUS = new Set([502, 503, 504]);

export function createHubFetch(o: HubFetchOptions): HubFetch {
  const base = o.fetch ?? globalThis.fetch;
  const retries = o.retries ?? 5;
  const retryDelayMs = o.retryDelayMs ?? 1000;
  let resumeFile: string | undefined;

  /** blobs/<etag>.incomplete -> blobs/<etag>.resume, keeping whichever holds more bytes. */
  const prepareResume = (etag: string) => {
    if (!/^[\w-]+$/.test(etag)) return;
    const incomplete = join(o.blobsDir, `${etag}.incomplete`);
    const saved = join(o.blobsDir, `${etag}.resume`);
    if (existsSync(incomplete)) {
      if (sizeOf(incomplete) >= sizeOf(saved)) renameSync(incomplete, saved);
      else rmSync(incomplete);
    }
    resumeFile = sizeOf(saved) > 0 ? saved : undefined;
  };

  /** A request that failed before any response (connection refused, reset) or with a gateway error is tried again. */
  const request = async (url: string, init: RequestInit | undefined, headers: Headers): Promise<Response> => {
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await base(url, { ...init, headers });
        if (!RETRYABLE_STATUS.has(res.status) || attempt >= retries) return res;
        await res.body?.cancel();
      } catch (err) {
        if (attempt >= retries) throw new PullError("network", `${url}: ${(err as Error).message}`, undefined, { cause: err });
      }
      await delay(retryDelayMs * (attempt + 1));
    }
  };

  const content = async (url: string, init: RequestInit | undefined, headers: Headers): Promise<Response> => {
    /** The server would not send the rest of the saved partial: drop it and download from the start. */
    const restart = async (res: Response) => {
      await res.body?.cancel();
      if (resumeFile) rmSync(resumeFile, { force: true });
      resumeFile = undefined;
      return content(url, init, headers);
    };
    const resumeFrom = resumeFile ? sizeOf(resumeFile) : 0;
    const first = await request(url, init, withRange(headers, resumeFrom));
    if (first.status === 416 && resumeFrom > 0) return restart(first);
    if (!first.ok) return first;
    let start = 0;
    let total = lengthOf(first);
    if (resumeFrom > 0) {
      const range = parseContentRange(first.headers.get("content-range"));
      if (first.status === 206 && range?.start === resumeFrom) {
        start = resumeFrom;
        total = range.total;
      } else {
        return restart(first);
      }
    }
    o.onStart?.(total, start);
    const saved = resumeFile;

    async function* bytes(): AsyncGenerator<Uint8Array> {
      if (start > 0 && saved) yield* createReadStream(saved, { end: start - 1 });
      let offset = start;
      let res = first;
      for (let failures = 0; ; ) {
        try {
          if (!res.body) throw new Error("response without a body");
          for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
            offset += chunk.byteLength;
            o.onBytes?.(chunk.byteLength);
            yield chunk;
          }
          if (total === undefined || offset >= total) return;
          throw new Error(`connection closed at byte ${offset} of ${total}`);
        } catch (err) {
          if (err instanceof PullError || failures++ >= retries) {
            throw err instanceof PullError ? err : new PullError("network", `${url}: ${(err as Error).message} at byte ${offset}`, undefined, { cause: err });
          }
          o.onRetry?.(offset, (err as Error).message);
          await delay(retryDelayMs * failures);
          res = await request(url, init, withRange(headers, offset));
          const range = parseContentRange(res.headers.get("content-range"));
          if (res.status !== 206 || range?.start !== offset) {
            await res.body?.cancel();
            throw new PullError("network", `${url}: the server would not resume at byte ${offset} (HTTP ${res.status})`);
          }
        }
      }
    }

    const body = NodeReadableStream.from(bytes()) as unknown as ReadableStream<Uint8Array>;
    return new Response(body, { status: 200, headers: total === undefined ? {} : { "content-length": String(total) } });
  };

  const hubFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = input instanceof Request ? input.url : String(input);
    const method = (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    if (method === "POST" && new URL(url).pathname.includes("/paths-info/")) {
      const res = await base(input, init);
      if (res.ok) {
        const etag = etagOf(await res.clone().json().catch(() => null));
        if (etag) prepareResume(etag);
      }
      return res;
    }
    if (method === "GET" && headers.get("range") === "bytes=0-0") {
      headers.set("accept", "*/*");
      return base(url, { ...init, headers });
    }
    if (method === "GET" && !headers.has("range")) return content(url, init, headers);
    return base(input, init);
  };

  return {
    fetch: hubFetch as typeof fetch,
    discardResume() {
      if (resumeFile) rmSync(resumeFile, { force: true });
      resumeFile = undefined;
    },
  };
}

/** The blob name downloadFileToCacheDir derives from paths-info: LFS oid, else xet hash, else git oid. */
function etagOf(info: unknown): string | undefined {
  if (!Array.isArray(info) || info.length !== 1) return undefined;
  const item = info[0] as { lfs?: { oid?: unknown }; xetHash?: unknown; oid?: unknown };
  const etag = item.lfs?.oid ?? item.xetHash ?? item.oid;
  return typeof etag === "string" ? etag : undefined;
}

function withRange(headers: Headers, from: number): Headers {
  const h = new Headers(headers);
  if (from > 0) h.set("range", `bytes=${from}-`);
  return h;
}

function parseContentRange(value: string | null): { start: number; total: number } | undefined {
  const m = /^bytes (\d+)-\d+\/(\d+)$/.exec(value ?? "");
  return m ? { start: Number(m[1]), total: Number(m[2]) } : undefined;
}

function lengthOf(res: Response): number | undefined {
  const n = Number(res.headers.get("content-length"));
  return Number.isFinite(n) && n >= 0 && res.headers.has("content-length") ? n : undefined;
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
