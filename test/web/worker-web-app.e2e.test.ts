/**
 * The web app served by the Workers edge (workerd via wrangler, its static assets built by
 * web/server/workers-assets-build.ts), in Debian's chromium at a phone viewport: the page is cross-origin
 * isolated, onnxruntime-web's wasm arrives gzip-encoded and runs, examples/astronaut.png is analysed on
 * the device (wasm provider; the WebGPU path is covered against the Node edge) with the embedding the
 * server-side analysis gives, and registered as a precomputed face of the Worker's pack.
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createFacePipeline } from "../../shared/face/create-face-pipeline.ts";
import type { DetectedFace } from "../../shared/face/face-analyser.ts";
import { decodeImage } from "../../shared/image/image-intake.ts";
import { ensureWorkersAssets } from "../../web/server/workers-assets-build.ts";
import { startWorkerEdge, type WorkerEdge } from "../workers/helpers/worker-edge.ts";
import { litePackDir } from "../shared/face/lite-pack.ts";
import { analysePhoto, appDebug, launchChromium, phonePage, screenshot } from "./helpers/chromium.ts";

const ASTRONAUT = fileURLToPath(new URL("../../examples/astronaut.png", import.meta.url));
const SLOW = 10 * 60_000; // wasm inference in chromium on a loaded 2-core machine: a guard, not a timing expectation

let edge: WorkerEdge;
let key: string;
let browser: Browser;
let serverFace: DetectedFace;

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) (dot += a[i]! * b[i]!), (na += a[i]! * a[i]!), (nb += b[i]! * b[i]!);
  return dot / Math.sqrt(na * nb);
}

beforeAll(async () => {
  const dir = await litePackDir();
  const pipeline = await createFacePipeline({ pack: "lite", dir });
  try {
    [serverFace] = (await pipeline.analyse(await decodeImage(await readFile(ASTRONAUT)))) as [DetectedFace];
  } finally {
    await pipeline.release();
  }
  await ensureWorkersAssets({ facePack: { pack: "lite", dir } });
  // No runtime: analysis happens in the browser and a precomputed face never reaches one.
  edge = await startWorkerEdge({ runtimeUrl: "http://127.0.0.1:9", runtimeToken: "web-e2e-token", vars: { ACCESS_LOG: "0" } });
  key = await edge.createKey("alice");
  browser = await launchChromium({ webgpu: false });
}, SLOW);

afterAll(async () => {
  await browser?.close();
  await edge?.close();
});

it("loads from the Worker, analyses the photo on the device with wasm as the server would, and registers it as a precomputed face", async () => {
  const { page, consoleErrors } = await phonePage(browser, { webgpu: false });
  const wasm: { encoding: string | null; status: number }[] = [];
  page.on("response", (res) => {
    if (res.url().endsWith(".wasm")) wasm.push({ encoding: res.headers()["content-encoding"] ?? null, status: res.status() });
  });
  await page.goto(`${edge.url}/`);
  expect(await page.evaluate("crossOriginIsolated")).toBe(true);
  await page.fill("#api-key", key);
  await page.press("#api-key", "Enter");
  await page.waitForSelector("#key-status:has-text('is saved in this browser')");

  await analysePhoto(page, ASTRONAUT);
  await screenshot(page, "worker-e2e-analysed-wasm");
  expect(await page.getAttribute("#analysis", "data-state")).toBe("face");
  expect(await page.getAttribute("#analysis", "data-provider")).toBe("wasm");
  expect(wasm).toEqual([{ encoding: "gzip", status: 200 }]);
  const face = await appDebug<{ embedding: number[] }>(page, ".face");
  expect(cosine(face.embedding, serverFace.embedding)).toBeGreaterThanOrEqual(0.999);

  await page.click("#register");
  await page.waitForSelector("#identities li");
  expect(await page.isHidden("#problem")).toBe(true);
  const identityId = await appDebug<string>(page, ".identityId");
  const res = await edge.fetch(`/v1/identities/${identityId}`, { key });
  expect(res.status).toBe(200);
  const identity = (await res.json()) as { embeddingModel: string; imageSize: { width: number; height: number }; face: { kps: number[][] } };
  expect(identity.embeddingModel).toBe("lite");
  expect(identity.imageSize).toEqual({ width: 512, height: 512 });
  identity.face.kps.forEach((p, i) => p.forEach((v, j) => expect(Math.abs(v - serverFace.kps[i]![j]!)).toBeLessThan(1)));
  expect(consoleErrors).toEqual([]);
}, SLOW);
