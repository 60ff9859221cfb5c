/**
 * The Worker's web-app assets inside workerd, for what the lite pack's folder never needs: a file
 * stored gzip-compressed and cut into several blobs (antelopev2's 250 MB recognizer is one) is streamed
 * part after part and decodes to the original bytes; the same file stored plain in parts, likewise.
 * ASSETS is played by a map of blobs, as the asset folder would hold them.
 */
import { describe, expect, it } from "vitest";
import { workersWebAppAssets, type AssetFetcher } from "../../../functions/adapters/workers/web-assets.ts";
import { WORKERS_ASSETS_FORMAT, type StoredFile, type WorkersAssetsManifest } from "../../../functions/adapters/workers/web-assets-manifest.ts";
import { webAppRoutes } from "../../../functions/routes/web-app.ts";

const hex = (b: ArrayBuffer) => [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, "0")).join("");
const sha256 = async (b: Uint8Array) => hex(await crypto.subtle.digest("SHA-256", b as Uint8Array<ArrayBuffer>));
const bytesOf = async (s: ReadableStream<Uint8Array>) => new Uint8Array(await new Response(s).arrayBuffer());

/** Deterministic, barely compressible bytes (a linear congruential generator), with runs that gzip does shrink. */
function sample(n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = 12345;
  for (let i = 0; i < n; i++) out[i] = i % 7 === 0 ? 0 : (x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 24;
  return out;
}

async function storeInParts(blobs: Map<string, Uint8Array>, data: Uint8Array, partBytes: number): Promise<string[]> {
  const names: string[] = [];
  for (let at = 0; at < data.byteLength; at += partBytes) {
    const part = data.slice(at, at + partBytes);
    const name = `blobs/${await sha256(part)}.bin`;
    blobs.set(name, part);
    names.push(name);
  }
  return names;
}

describe("web-app assets inside workerd", () => {
  it("stream a gzip file cut into parts, and a plain one, back to the original bytes", async () => {
    const original = sample(300_000);
    const gz = await bytesOf(new Blob([original as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream("gzip")));
    const blobs = new Map<string, Uint8Array>();
    const file = async (data: Uint8Array, encoding: StoredFile["encoding"]): Promise<StoredFile> => ({
      contentType: "application/wasm",
      encoding,
      bytes: original.byteLength,
      sha256: await sha256(original),
      blobs: await storeInParts(blobs, data, 64 * 1024),
    });
    const zipped = await file(gz, "gzip");
    const plain = await file(original, "identity");
    expect(zipped.blobs.length).toBeGreaterThan(2);
    const manifest: WorkersAssetsManifest = {
      format: WORKERS_ASSETS_FORMAT,
      source: "test",
      ortVersion: "9.9.9",
      page: plain,
      app: {},
      ort: { "x.wasm": zipped, "y.wasm": plain },
      facePack: { pack: "lite", files: [] },
    };
    blobs.set("manifest.json", new TextEncoder().encode(JSON.stringify(manifest)));
    const fetched: string[] = [];
    const assets: AssetFetcher = {
      async fetch(request) {
        const path = new URL(request.url).pathname.slice(1);
        fetched.push(path);
        const body = blobs.get(path);
        return body ? new Response(body) : new Response(null, { status: 404 });
      },
    };
    const app = webAppRoutes(workersWebAppAssets(assets, { pack: "lite" }));

    const res = await app.request("/ort/9.9.9/x.wasm", { headers: { "accept-encoding": "gzip" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-encoding")).toBe("gzip");
    const wire = new Uint8Array(await res.arrayBuffer());
    expect(await sha256(wire)).toBe(await sha256(gz));
    expect(await sha256(await bytesOf(new Blob([wire]).stream().pipeThrough(new DecompressionStream("gzip"))))).toBe(await sha256(original));
    // Each part fetched once, in order.
    expect(fetched.filter((p) => p.startsWith("blobs/"))).toEqual(zipped.blobs);

    const decoded = await app.request("/ort/9.9.9/x.wasm", { headers: { "accept-encoding": "identity" } });
    expect(decoded.headers.get("content-encoding")).toBeNull();
    expect(await sha256(new Uint8Array(await decoded.arrayBuffer()))).toBe(await sha256(original));

    const flat = await app.request("/ort/9.9.9/y.wasm");
    expect(flat.headers.get("content-encoding")).toBeNull();
    expect(await sha256(new Uint8Array(await flat.arrayBuffer()))).toBe(await sha256(original));
  });
});
