/**
 * The web app against a real `npm start` (runtime + edge on loopback, tiny pack, lite face pack), in
 * Debian's chromium at a phone viewport, as a person uses it: paste the key, pick
 * examples/astronaut.png, see it analysed on the device with WebGPU (its embedding equal to the
 * server-side analysis of the same photo), register it without uploading it, generate with
 * previews and progress, download, cancel, delete; a photo without a face uploaded shows the API's
 * problem; and the wasm fallback where WebGPU is absent. Screenshots go to test-artifacts/web/.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFacePipeline } from "../../shared/face/create-face-pipeline.ts";
import type { DetectedFace } from "../../shared/face/face-analyser.ts";
import { decodeImage } from "../../shared/image/image-intake.ts";
import { startNpmStart, type NpmStart } from "../scripts/helpers/npm-start.ts";
import { litePackDir } from "../shared/face/lite-pack.ts";
import { analysePhoto, appDebug, launchChromium, phonePage, screenshot } from "./helpers/chromium.ts";

const ASTRONAUT = fileURLToPath(new URL("../../examples/astronaut.png", import.meta.url));
const NO_FACE = fileURLToPath(new URL("../fixtures/faces/no-face-rocket.jpg", import.meta.url));
const SLOW = 15 * 60_000; // software WebGPU on a loaded 2-core machine: a guard, not a timing expectation
/** For waits on the UI that only a bug makes endless: fail with the selector named instead of at the test's timeout. */
const HANG_GUARD = 5 * 60_000;

let server: NpmStart;
let dataDir: string;
let serverFace: DetectedFace;

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) (dot += a[i]! * b[i]!), (na += a[i]! * a[i]!), (nb += b[i]! * b[i]!);
  return dot / Math.sqrt(na * nb);
}

function api(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${server.edgeUrl}${path}`, { ...init, headers: { authorization: `Bearer ${server.key}`, ...init.headers } });
}

async function openApp(browser: Browser, webgpu: boolean): Promise<{ page: Page; consoleErrors: string[] }> {
  const { page, consoleErrors } = await phonePage(browser, { webgpu });
  await page.goto(`${server.edgeUrl}/`);
  await page.fill("#api-key", server.key);
  await page.press("#api-key", "Enter"); // the key form submits from the keyboard
  await page.waitForSelector("#key-status:has-text('is saved in this browser')");
  return { page, consoleErrors };
}

beforeAll(async () => {
  // The server's analysis of the photo: the same shared/face pipeline the edge runs, on onnxruntime-node.
  const pipeline = await createFacePipeline({ pack: "lite", dir: await litePackDir() });
  try {
    [serverFace] = (await pipeline.analyse(await decodeImage(await readFile(ASTRONAUT)))) as [DetectedFace];
  } finally {
    await pipeline.release();
  }
  dataDir = await mkdtemp(join(tmpdir(), "web-e2e-"));
  server = await startNpmStart({ dataDir, readyTimeoutMs: 300_000 });
}, SLOW);

afterAll(async () => {
  await server?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe("the web app on a device with WebGPU", () => {
  let browser: Browser;
  let page: Page;
  let consoleErrors: string[];
  let identityId: string;

  beforeAll(async () => {
    browser = await launchChromium({ webgpu: true });
    ({ page, consoleErrors } = await openApp(browser, true));
  }, SLOW);
  afterAll(async () => {
    await browser?.close();
  });

  it("is served cross-origin isolated, and analyses the photo on the device with WebGPU as the server would", async () => {
    expect(await page.evaluate("crossOriginIsolated")).toBe(true);
    await analysePhoto(page, ASTRONAUT);
    await screenshot(page, "e2e-1-analysed-webgpu");
    expect(await page.getAttribute("#analysis", "data-state")).toBe("face");
    expect(await page.getAttribute("#analysis", "data-provider")).toBe("webgpu");
    const face = await appDebug<{ embedding: number[] }>(page, ".face");
    expect(cosine(face.embedding, serverFace.embedding)).toBeGreaterThanOrEqual(0.999);
  }, SLOW);

  it("registers the face without uploading the photo, and lists it", async () => {
    await page.click("#register");
    await page.waitForSelector("#identities li");
    identityId = await appDebug<string>(page, ".identityId");
    const res = await api(`/v1/identities/${identityId}`);
    expect(res.status).toBe(200);
    const identity = (await res.json()) as { embeddingModel: string; imageSize: { width: number; height: number }; face: { kps: number[][] } };
    expect(identity.embeddingModel).toBe("lite");
    expect(identity.imageSize).toEqual({ width: 512, height: 512 });
    identity.face.kps.forEach((p, i) => p.forEach((v, j) => expect(Math.abs(v - serverFace.kps[i]![j]!)).toBeLessThan(1)));
    expect(await page.textContent("#identities")).toContain(identityId);
  }, SLOW);

  it("generates with the tiny pack: progress to the end, a preview, the image, and a download", async () => {
    await page.selectOption("#size", "256x256");
    await page.fill("#steps", "8");
    await page.fill("#seed", "7");
    await page.selectOption("#style", "Watercolor");
    await page.click("#generate");
    const preview = page.waitForSelector('#result[data-final="false"]', { state: "attached" });
    await page.waitForSelector('#gen-status[data-status="succeeded"]', { timeout: 0 });
    await preview;
    await screenshot(page, "e2e-2-generated");
    expect(await page.evaluate("document.querySelector('#progress').value")).toBe(8);
    expect(await page.getAttribute("#result", "data-final")).toBe("true");
    const download = page.waitForEvent("download");
    await page.click("#download");
    const file = await (await download).path();
    const png = await readFile(file!);
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  }, SLOW);

  it("cancels a running generation", async () => {
    // Long enough to be cancelled mid-way, small enough for the dev key's generation-cost budget.
    await page.fill("#steps", "100");
    // Cancel from inside the page as soon as the first step is reported (the generation is running on
    // the runtime): a round trip from the test can outlast the rest of a tiny-pack generation on a
    // loaded machine, which then ends succeeded before the click lands.
    await page.evaluate(`(() => {
      const status = document.querySelector("#gen-status");
      status.removeAttribute("data-status"); // the previous generation's outcome
      const observer = new MutationObserver(() => {
        if (!status.textContent.startsWith("Step ")) return;
        observer.disconnect();
        document.querySelector("#cancel").click();
      });
      observer.observe(status, { childList: true, characterData: true, subtree: true });
    })()`);
    await page.click("#generate");
    await page.waitForSelector('#gen-status[data-status], #problem:not([hidden])', { timeout: HANG_GUARD });
    expect(await page.isHidden("#problem"), (await page.textContent("#problem")) ?? "").toBe(true);
    expect(await page.getAttribute("#gen-status", "data-status")).toBe("cancelled");
    expect(await page.textContent("#gen-status")).toBe("Cancelled.");
    // The edge recorded it: the generation ends cancelled, not succeeded on the runtime.
    const id = await appDebug<string>(page, ".generationId");
    let status: string;
    for (;;) {
      status = ((await (await api(`/v1/generations/${id}`)).json()) as { status: string }).status;
      if (status !== "queued" && status !== "running") break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe("cancelled");
  }, SLOW);

  it("shows the API's problem for a photo without a face, uploaded", async () => {
    await analysePhoto(page, NO_FACE);
    expect(await page.getAttribute("#analysis", "data-state")).toBe("no-face");
    await page.check("#upload-photo");
    await page.click("#register");
    await page.waitForSelector("#problem:not([hidden])");
    await screenshot(page, "e2e-3-no-face-problem");
    expect(await page.getAttribute("#problem", "data-code")).toBe("no_face_detected");
    expect(await page.textContent("#problem")).toContain("No face detected");
    await page.uncheck("#upload-photo");
  }, SLOW);

  it("deletes the identity", async () => {
    await page.click(`button[aria-label="Delete identity ${identityId}"]`);
    await page.waitForSelector(`#identities:not(:has-text("${identityId}"))`, { state: "attached" });
    expect((await api(`/v1/identities/${identityId}`)).status).toBe(404);
    // Errors that did not come from the API would be console errors; the 422 above is the only failed request.
    expect(consoleErrors.filter((e) => !/status of 422/.test(e))).toEqual([]);
  }, SLOW);
});

describe("the web app on a device without WebGPU", () => {
  let browser: Browser;
  afterAll(async () => {
    await browser?.close();
  });

  it("falls back to wasm, with the same embedding, and registers", async () => {
    browser = await launchChromium({ webgpu: false });
    const { page } = await openApp(browser, false);
    await analysePhoto(page, ASTRONAUT);
    await screenshot(page, "e2e-4-analysed-wasm");
    expect(await page.getAttribute("#analysis", "data-provider")).toBe("wasm");
    const face = await appDebug<{ embedding: number[] }>(page, ".face");
    expect(cosine(face.embedding, serverFace.embedding)).toBeGreaterThanOrEqual(0.999);
    await page.click("#register");
    await page.waitForSelector("#identities li");
    expect(await page.isHidden("#problem")).toBe(true);
  }, SLOW);
});
