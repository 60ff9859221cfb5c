/**
 * RuntimeClient over Web fetch (runs on Workers and Node): POST {baseUrl}/v1/generate with the
 * shared bearer token, then the response's Server-Sent-Events parsed and validated.
 */
import { RUNTIME_GENERATE_PATH, type RuntimeGenerateRequestInput } from "../../shared/contract/generate-request.ts";
import { SSE_CONTENT_TYPE } from "../../shared/contract/sse.ts";
import { runtimeEvents } from "./event-stream.ts";
import { runtimeRefusal } from "./refusal.ts";
import { RuntimeCallError } from "./runtime-call-error.ts";
import type { RuntimeClient } from "./runtime-client.ts";

export interface RuntimeClientOptions {
  readonly baseUrl: string;
  readonly token: string;
  /** How long to wait for the response headers (the runtime answers them on accept). */
  readonly headersTimeoutMs?: number;
}

export function createFetchRuntimeClient(opts: RuntimeClientOptions & { readonly fetch?: typeof fetch }): RuntimeClient {
  const url = new URL(RUNTIME_GENERATE_PATH, opts.baseUrl).toString();
  const doFetch = opts.fetch ?? fetch;
  const headersTimeoutMs = opts.headersTimeoutMs ?? 30_000;

  return {
    async generate(request, signal) {
      if (signal.aborted) throw signal.reason;
      const upstream = new AbortController();
      const forwardAbort = () => upstream.abort(signal.reason);
      signal.addEventListener("abort", forwardAbort, { once: true });
      const cleanup = () => signal.removeEventListener("abort", forwardAbort);
      const timer = setTimeout(() => upstream.abort(new Error("runtime headers timeout")), headersTimeoutMs);
      let res: Response;
      try {
        res = await doFetch(url, {
          method: "POST",
          headers: {
            authorization: `Bearer ${opts.token}`,
            "content-type": "application/json",
            accept: SSE_CONTENT_TYPE,
          },
          body: JSON.stringify(request satisfies RuntimeGenerateRequestInput),
          signal: upstream.signal,
        });
      } catch (e) {
        cleanup();
        if (signal.aborted) throw signal.reason;
        throw new RuntimeCallError("runtime_unavailable", "cannot reach the GPU runtime", { cause: e });
      } finally {
        clearTimeout(timer);
      }
      if (!res.ok) {
        cleanup();
        throw runtimeRefusal(res.status, res.headers.get("retry-after"), await res.text().catch(() => ""));
      }
      if (!(res.headers.get("content-type") ?? "").startsWith(SSE_CONTENT_TYPE) || !res.body) {
        cleanup();
        upstream.abort();
        throw new RuntimeCallError("runtime_protocol_error", "runtime answered something other than an event stream");
      }
      return runtimeEvents(res.body as AsyncIterable<Uint8Array>, signal, () => upstream.abort(), cleanup);
    },
  };
}
