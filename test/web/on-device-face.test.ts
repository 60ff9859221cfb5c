/**
 * Face analysis on the device, in a real chromium at a phone viewport: the web app, built from
 * web/app, served by the edge's web-app routes with the lite pack, analyses examples/astronaut.png
 * with onnxruntime-web's WebGPU provider (SwiftShader), and with wasm where WebGPU is absent. The
 * embedding must agree with onnxruntime-node's analysis of the same photo (the same shared/face code).
 */
import { serve, type ServerType } from "@hono/node-server";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Hono } from "hono";
import type { Browser, Page } from "playwright-core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webAppRoutes } from "../../functions/routes/web-app.ts";
import { createFacePipeline } from "../../shared/face/create-face-pipeline.ts";
import type { DetectedFace } from "../../shared/face/face-analyser.ts";
import { decodeImage } from "../../shared/image/image-intake.ts";
import { nodeWebAppAssets } from "../../web/server/node-web-assets.ts";
import { litePackDir } from "../shared/face/lite-pack.ts";
import { analysePhoto, appDebug, launchChromium, phonePage, screenshot } from "./helpers/chromium.ts";

const ASTRONAUT = fileURLToPath(new URL("../../examples/astronaut.png", import.meta.url));
const SLOW = 15 * 60_000; // software WebGPU on a loaded 2-core machine: a guard, not a timing expectation

let server: ServerType;
let url: string;
let outDir: string;
let nodeFace: DetectedFace;
let packDir: string;

/** The server side of the comparison: sharp's intake and the same pipeline on onnxruntime-node. */
async function nodeAnalysis(photo: Uint8Array): Promise<DetectedFace> {
  const pipeline = await createFacePipeline({ pack: "lite", dir: packDir });
  try {
    const [face] = await pipeline.analyse(await decodeImage(photo));
    if (!face) throw new Error("onnxruntime-node found no face");
    return face;
  } finally {
    await pipeline.release();
  }
}

interface PageFace {
  embedding: number[];
  kps: [number, number][];
  bbox: [number, number, number, number];
}
interface PageTimings {
  runs: { file: string; provider: string; ms: number }[];
  fallbacks: string[];
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) (dot += a[i]! * b[i]!), (na += a[i]! * a[i]!), (nb += b[i]! * b[i]!);
  return dot / Math.sqrt(na * nb);
}

beforeAll(async () => {
  const dir = (packDir = await litePackDir());
  nodeFace = await nodeAnalysis(readFileSync(ASTRONAUT));
  // A fresh build of the current sources, not whatever dist/web holds.
  outDir = mkdtempSync(join(tmpdir(), "web-app-"));
  const app = new Hono();
  app.route("/", webAppRoutes(nodeWebAppAssets({ facePack: { pack: "lite", dir }, outDir })));
  server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" });
  await new Promise<void>((resolve) => server.once("listening", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}, SLOW);

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

describe.each([
  { webgpu: true, provider: "webgpu" },
  { webgpu: false, provider: "wasm" },
])("on-device analysis, WebGPU available: $webgpu", ({ webgpu, provider }) => {
  let browser: Browser;
  let page: Page;
  let consoleErrors: string[];
  beforeAll(async () => {
    browser = await launchChromium({ webgpu });
    ({ page, consoleErrors } = await phonePage(browser, { webgpu }));
    await page.goto(url);
  }, SLOW);
  afterAll(async () => {
    await browser?.close();
  });

  it(`runs every network on ${provider} and agrees with onnxruntime-node (cosine >= 0.999)`, async () => {
    expect(await page.evaluate("crossOriginIsolated")).toBe(true);
    await analysePhoto(page, ASTRONAUT);
    await screenshot(page, `on-device-${provider}`);
    expect(await page.isHidden("#problem")).toBe(true);
    expect(await page.getAttribute("#analysis", "data-state")).toBe("face");
    expect(await page.getAttribute("#analysis", "data-provider")).toBe(provider);
    expect(await page.textContent("#analysis")).toContain(provider === "webgpu" ? "Ran on WebGPU" : "Ran on wasm");

    const timings = await appDebug<PageTimings>(page, ".timings");
    expect(timings.runs.map((r) => `${r.file}:${r.provider}`)).toEqual(["fr_detect.onnx", "fr_landmark.onnx", "fr_feature.onnx"].map((f) => `${f}:${provider}`));
    if (!webgpu) expect(timings.fallbacks.join("\n")).toMatch(/webgpu/i);
    console.log(`${provider}: ${timings.runs.map((r) => `${r.file} ${r.ms.toFixed(0)} ms`).join(", ")}`);

    const face = await appDebug<PageFace>(page, ".face");
    expect(face.embedding).toHaveLength(512);
    const c = cosine(face.embedding, nodeFace.embedding);
    console.log(`${provider}: cosine with onnxruntime-node ${c.toFixed(6)}`);
    expect(c).toBeGreaterThanOrEqual(0.999);
    face.bbox.forEach((v, i) => expect(Math.abs(v - nodeFace.bbox[i]!)).toBeLessThan(1));
    face.kps.forEach((p, i) => p.forEach((v, j) => expect(Math.abs(v - nodeFace.kps[i]![j]!)).toBeLessThan(1)));
    expect(consoleErrors).toEqual([]);
  }, SLOW);

  // The browser's own decoder applies EXIF orientation (createImageBitmap imageOrientation "from-image"),
  // as sharp's rotate() does on the server. One provider is enough: this is about pixels, not networks.
  it.runIf(!webgpu)("applies EXIF orientation as the server's intake does", async () => {
    const png = readFileSync(ASTRONAUT);
    const sideways = sharp(png).rotate(270);
    const photos = {
      upright: await sharp(png).jpeg({ quality: 92 }).toBuffer(),
      tagged: await sideways.clone().withMetadata({ orientation: 6 }).jpeg({ quality: 92 }).toBuffer(),
      untagged: await sideways.clone().jpeg({ quality: 92 }).toBuffer(),
    };
    const faces: Record<string, PageFace> = {};
    for (const [name, buffer] of Object.entries(photos)) {
      await page.setInputFiles("#photo-file", { name: `${name}.jpg`, mimeType: "image/jpeg", buffer });
      await page.waitForSelector(`#analysis[data-photo="${name}.jpg"][data-state="face"]`);
      faces[name] = await appDebug<PageFace>(page, ".face");
    }
    await screenshot(page, "on-device-exif-tagged");
    const server = await nodeAnalysis(photos.tagged);
    const c = cosine(faces.tagged!.embedding, server.embedding);
    console.log(`EXIF-tagged JPEG: cosine browser vs server ${c.toFixed(6)}`);
    expect(c).toBeGreaterThanOrEqual(0.99);
    faces.tagged!.bbox.forEach((v, i) => expect(Math.abs(v - faces.upright!.bbox[i]!)).toBeLessThan(3));
    // Without the tag the same pixels are a different picture: the check above is not vacuous.
    expect(Math.abs(faces.untagged!.bbox[0] - faces.upright!.bbox[0])).toBeGreaterThan(3);
  }, SLOW);
});
