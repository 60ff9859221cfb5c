/**
 * The edge's API from the browser: bearer key, problem+json errors turned into ApiProblem (title,
 * detail, code) so the page always shows what the API said, and the generation event stream read
 * from fetch (EventSource cannot send an Authorization header).
 */

export interface Problem {
  readonly title: string;
  readonly status: number;
  readonly code: string;
  readonly detail?: string;
}

export class ApiProblem extends Error {
  override readonly name = "ApiProblem";
  constructor(readonly problem: Problem) {
    super(problem.detail ? `${problem.title}: ${problem.detail}` : problem.title);
  }
}

export type Point = [number, number];

export interface IdentityView {
  readonly id: string;
  readonly face: { readonly bbox: [number, number, number, number]; readonly score: number; readonly kps: Point[] };
  readonly faces: number;
  readonly imageSize: { readonly width: number; readonly height: number };
  readonly embeddingModel: string;
  readonly createdAt: string;
}

export interface GenerationView {
  readonly id: string;
  readonly status: "queued" | "running" | "succeeded" | "failed" | "cancelled";
  readonly identityId: string;
  readonly progress: { readonly step: number; readonly total: number };
  readonly settings: { readonly prompt: string; readonly width: number; readonly height: number; readonly seed: number };
  readonly images: readonly { readonly index: number; readonly url: string; readonly mimeType: string; readonly width: number; readonly height: number; readonly seed: number }[];
  readonly error: { readonly code: string; readonly message: string } | null;
  readonly createdAt: string;
}

/** One page of a list read: newest first; `nextCursor` fetches the next (null on the last). */
export interface ListPage<T> {
  readonly data: readonly T[];
  readonly nextCursor: string | null;
}

export interface PrecomputedFace {
  readonly embedding: Float32Array;
  readonly kps: readonly (readonly [number, number])[];
  readonly bbox: readonly [number, number, number, number];
  readonly imageWidth: number;
  readonly imageHeight: number;
}

export interface GenerationRequest {
  readonly identityId: string;
  readonly prompt: string;
  readonly style?: string;
  readonly steps: number;
  readonly width: number;
  readonly height: number;
  readonly seed?: number;
}

export type GenerationEvent =
  | { event: "queued"; data: { id: string; links: { self: string; cancel: string } } }
  | { event: "progress"; data: { step: number; total: number } }
  | { event: "preview"; data: { step: number; mimeType: string; width: number; height: number; data: string } }
  | { event: "image"; data: { index: number; mimeType: string; width: number; height: number; seed: number; data: string } }
  | { event: "done"; data: { id: string; status: string } }
  | { event: "error"; data: { code: string; message: string; retryable: boolean } };

/** Little-endian float32 bytes, base64: the wire form of an embedding. */
export function embeddingToBase64(embedding: Float32Array): string {
  const bytes = new Uint8Array(embedding.length * 4);
  const view = new DataView(bytes.buffer);
  embedding.forEach((v, i) => view.setFloat32(i * 4, v, true));
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export function base64ToBlob(data: string, type: string): Blob {
  const bin = atob(data);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Blob([bytes], { type });
}

async function problemOf(res: Response): Promise<ApiProblem> {
  const text = await res.text();
  try {
    const body = JSON.parse(text) as Partial<Problem>;
    if (typeof body.title === "string") {
      return new ApiProblem({ title: body.title, status: res.status, code: String(body.code ?? "unknown"), ...(body.detail ? { detail: String(body.detail) } : {}) });
    }
  } catch {
    // not JSON: fall through to a problem built from the status line
  }
  return new ApiProblem({ title: `HTTP ${res.status} ${res.statusText}`.trim(), status: res.status, code: "http_error", ...(text ? { detail: text.slice(0, 300) } : {}) });
}

export class Api {
  constructor(private readonly key: () => string) {}

  private async call(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set("Authorization", `Bearer ${this.key()}`);
    let res: Response;
    try {
      res = await fetch(path, { ...init, headers });
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      throw new ApiProblem({ title: "The API could not be reached", status: 0, code: "network_error", detail: (err as Error).message });
    }
    if (!res.ok) throw await problemOf(res);
    return res;
  }

  async registerPhoto(photo: Blob): Promise<IdentityView> {
    const form = new FormData();
    form.append("image", photo, "photo");
    return (await this.call("/v1/identities", { method: "POST", body: form })).json() as Promise<IdentityView>;
  }

  async registerFace(face: PrecomputedFace, embeddingModel: string): Promise<IdentityView> {
    const body = {
      face: {
        embedding: embeddingToBase64(face.embedding),
        kps: face.kps,
        bbox: face.bbox,
        imageWidth: face.imageWidth,
        imageHeight: face.imageHeight,
      },
      embeddingModel,
    };
    const res = await this.call("/v1/identities", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    return res.json() as Promise<IdentityView>;
  }

  async identity(id: string): Promise<IdentityView> {
    return (await this.call(`/v1/identities/${encodeURIComponent(id)}`)).json() as Promise<IdentityView>;
  }

  /** The key's user's identities, newest first (every device's, not only this browser's). */
  async identities(limit: number, cursor: string | null): Promise<ListPage<IdentityView>> {
    return (await this.call(`/v1/identities?${pageQuery(limit, cursor)}`)).json() as Promise<ListPage<IdentityView>>;
  }

  async generations(limit: number, cursor: string | null): Promise<ListPage<GenerationView>> {
    return (await this.call(`/v1/generations?${pageQuery(limit, cursor)}`)).json() as Promise<ListPage<GenerationView>>;
  }

  async deleteGeneration(id: string): Promise<void> {
    await this.call(`/v1/generations/${encodeURIComponent(id)}`, { method: "DELETE" });
  }

  /** An image of a generation (its URL needs the key, so an <img> cannot load it by itself). */
  async image(url: string): Promise<Blob> {
    return (await this.call(url)).blob();
  }

  async deleteIdentity(id: string): Promise<void> {
    await this.call(`/v1/identities/${encodeURIComponent(id)}`, { method: "DELETE" });
  }

  async cancel(generationId: string): Promise<void> {
    await this.call(`/v1/generations/${encodeURIComponent(generationId)}/cancel`, { method: "POST" });
  }

  /** Starts a generation and yields its events until the stream ends. */
  async *generate(request: GenerationRequest, signal: AbortSignal): AsyncGenerator<GenerationEvent> {
    const everySteps = Math.max(1, Math.round(request.steps / 8));
    const res = await this.call("/v1/generations", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
      body: JSON.stringify({ ...request, preview: { everySteps } }),
      signal,
    });
    if (!res.body) throw new ApiProblem({ title: "The API sent no event stream", status: res.status, code: "no_stream" });
    yield* readEvents(res.body, signal);
  }
}

function pageQuery(limit: number, cursor: string | null): string {
  const q = new URLSearchParams({ limit: String(limit) });
  if (cursor) q.set("cursor", cursor);
  return q.toString();
}

/** text/event-stream: `event:` and `data:` lines, a blank line ends an event. */
export async function* readEvents(body: ReadableStream<Uint8Array>, signal: AbortSignal): AsyncGenerator<GenerationEvent> {
  const reader = body.pipeThrough(new TextDecoderStream() as unknown as TransformStream<Uint8Array, string>).getReader();
  const onAbort = () => void reader.cancel().catch(() => {});
  signal.addEventListener("abort", onAbort, { once: true });
  let buffer = "";
  let event = "message";
  let data: string[] = [];
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let nl: number;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl).replace(/\r$/, "");
        buffer = buffer.slice(nl + 1);
        if (line === "") {
          if (data.length) yield { event, data: JSON.parse(data.join("\n")) } as GenerationEvent;
          event = "message";
          data = [];
        } else if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
    }
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}
