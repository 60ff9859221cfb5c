/**
 * The web app at `/`: its page, its hashed bundle, onnxruntime-web's wasm files and the face pack's
 * models, so a browser analyses faces on the device with nothing fetched from anywhere but the edge.
 * Where the bytes come from is the platform's business (WebAppAssets: files on Node, static
 * assets on Workers); this module only decides paths and headers.
 *
 * A platform may keep a file gzip-compressed (Workers: a static asset is at most 25 MiB, onnxruntime-web's
 * wasm binary is 27 MB, 6 MB compressed): it is sent as is with `Content-Encoding: gzip` to a client
 * that accepts gzip (every browser), and decompressed here for one that does not, so every client gets
 * the original bytes.
 *
 * Every response is cross-origin isolated (COOP same-origin, COEP require-corp): onnxruntime-web's
 * multi-threaded wasm needs SharedArrayBuffer, which browsers only give isolated pages. Files whose
 * URL changes with their content (hashed bundle, versioned wasm, models under their sha256) are
 * cached for a year; the page and the pack list are revalidated on every load.
 */
import { Hono } from "hono";
import type { FacePackName } from "../../shared/face/face-analyser.ts";

export interface WebAsset {
  readonly body: Uint8Array | ReadableStream<Uint8Array>;
  readonly contentType: string;
  /** "gzip": body is the file gzip-compressed. */
  readonly contentEncoding?: "gzip";
}

export interface WebFacePackFile {
  readonly name: string;
  readonly sha256: string;
  readonly bytes: number;
}

export interface WebAppAssets {
  /** index.html of the built app. */
  page(): Promise<WebAsset>;
  /** A file of the built app by its (content-hashed) name, or null. */
  appFile(name: string): Promise<WebAsset | null>;
  /** onnxruntime-web's version: part of its files' URLs, so a new version is a new URL. */
  ortVersion(): Promise<string>;
  /** One of onnxruntime-web's .wasm / .mjs files, or null. */
  ortFile(name: string): Promise<WebAsset | null>;
  /** The face pack the edge serves (embeddings from another pack are refused) and its files. */
  facePack(): Promise<{ readonly pack: FacePackName; readonly files: readonly WebFacePackFile[] }>;
  /** A model file of that pack, or null. */
  faceModel(name: string): Promise<WebAsset | null>;
}

const ISOLATION = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
  "Cross-Origin-Resource-Policy": "same-origin",
  "X-Content-Type-Options": "nosniff",
} as const;
const IMMUTABLE = "public, max-age=31536000, immutable";
const REVALIDATE = "no-cache";
/** Scripts and wasm from this origin only; photos and previews are blob:/data: URLs; the camera stream is local. */
const PAGE_CSP =
  "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; img-src 'self' blob: data:; media-src 'self' blob:; style-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

type ResponseBody = ConstructorParameters<typeof Response>[0];

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function modelUrl(file: WebFacePackFile): string {
  return `/face-models/${file.sha256}/${file.name}`;
}

/** Whether an Accept-Encoding header takes gzip (named or `*`, with a q above 0). */
export function acceptsGzip(acceptEncoding: string | undefined): boolean {
  return (acceptEncoding ?? "").split(",").some((item) => {
    const [coding = "", ...params] = item.split(";").map((p) => p.trim().toLowerCase());
    const q = params.find((p) => p.startsWith("q="));
    return (coding === "gzip" || coding === "*") && (q === undefined || Number(q.slice(2)) > 0);
  });
}

export function webAppRoutes(assets: WebAppAssets): Hono {
  const app = new Hono();
  const send = (acceptEncoding: string | undefined, asset: WebAsset, cacheControl: string, extra: Record<string, string> = {}) => {
    const headers: Record<string, string> = { ...ISOLATION, "Content-Type": asset.contentType, "Cache-Control": cacheControl, ...extra };
    let body = asset.body;
    if (asset.contentEncoding === "gzip") {
      headers.Vary = "Accept-Encoding";
      if (acceptsGzip(acceptEncoding)) {
        headers["Content-Encoding"] = "gzip";
        // encodeBody "manual" (Workers): the body is already encoded; without it the runtime would compress it again.
        return new Response(body as ResponseBody, { headers, encodeBody: "manual" } as ResponseInit);
      }
      // A client without gzip (rare: on Workers the platform asks for gzip itself) gets the file decoded.
      const stream = body instanceof Uint8Array ? new Blob([body as Uint8Array<ArrayBuffer>]).stream() : body;
      body = stream.pipeThrough(new DecompressionStream("gzip"));
    }
    return new Response(body as ResponseBody, { headers });
  };
  const notFound = () => new Response(null, { status: 404, headers: { ...ISOLATION, "Cache-Control": REVALIDATE } });

  app.get("/", async (c) =>
    send(c.req.header("accept-encoding"), await assets.page(), REVALIDATE, { "Content-Security-Policy": PAGE_CSP, "Referrer-Policy": "no-referrer" }),
  );

  app.get("/app/:file", async (c) => {
    const name = c.req.param("file");
    const asset = SAFE_NAME.test(name) ? await assets.appFile(name) : null;
    return asset ? send(c.req.header("accept-encoding"), asset, IMMUTABLE) : notFound();
  });

  app.get("/ort/:version/:file", async (c) => {
    const name = c.req.param("file");
    if (c.req.param("version") !== (await assets.ortVersion()) || !SAFE_NAME.test(name)) return notFound();
    const asset = await assets.ortFile(name);
    return asset ? send(c.req.header("accept-encoding"), asset, IMMUTABLE) : notFound();
  });

  app.get("/face-pack.json", async (c) => {
    const { pack, files } = await assets.facePack();
    const body = {
      pack,
      ortBase: `/ort/${await assets.ortVersion()}/`,
      files: Object.fromEntries(files.map((f) => [f.name, { url: modelUrl(f), sha256: f.sha256, bytes: f.bytes }])),
    };
    return send(c.req.header("accept-encoding"), { body: new TextEncoder().encode(JSON.stringify(body)), contentType: "application/json" }, REVALIDATE);
  });

  app.get("/face-models/:sha256/:file", async (c) => {
    const { files } = await assets.facePack();
    const file = files.find((f) => f.name === c.req.param("file") && f.sha256 === c.req.param("sha256"));
    const asset = file ? await assets.faceModel(file.name) : null;
    return asset ? send(c.req.header("accept-encoding"), asset, IMMUTABLE) : notFound();
  });

  return app;
}
