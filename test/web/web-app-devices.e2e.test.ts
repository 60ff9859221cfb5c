/**
 * The web app in Debian's chromium against a real Node edge (real SQLite, the real lite face kit,
 * the stub runtime so generations end at once) that serves the page:
 * - the camera: chromium's fake capture device plays a .y4m of examples/astronaut.png made here,
 *   the frame is analysed on the device (wasm) and the face it finds is the astronaut's (cosine to
 *   the server's analysis of the photo above the lite pack's same-person threshold);
 * - keyboard only: every control the page shows is reached by Tab and has an accessible name
 *   (chromium's own accessibility tree) and a visible label, and the whole flow (key, camera,
 *   register, generate, delete the generation and the identity) runs on key presses alone;
 * - the lists: identities and generations come from the API (registered elsewhere, not only in
 *   this browser), a page at a time with "More", and this browser stores nothing but the key.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, CDPSession, Page } from "playwright-core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runKeysCli } from "../../functions/cli/keys.ts";
import { startEdge, type RunningEdge } from "../../functions/node.ts";
import { IDENTITY_MATCH_THRESHOLDS } from "../../functions/services/identities/face-match.ts";
import { encodeEmbedding } from "../../shared/contract/embedding.ts";
import { createFacePipeline } from "../../shared/face/create-face-pipeline.ts";
import type { DetectedFace } from "../../shared/face/face-analyser.ts";
import { decodeImage } from "../../shared/image/image-intake.ts";
import { nodeWebAppAssets } from "../../web/server/node-web-assets.ts";
import { startLiteFaceKit, type LiteFaceKit } from "../functions/helpers/lite-face-kit.ts";
import { startStubRuntime, type StubRuntime } from "../functions/helpers/stub-runtime.ts";
import { litePackDir } from "../shared/face/lite-pack.ts";
import { appDebug, launchChromium, phonePage, screenshot } from "./helpers/chromium.ts";

const ASTRONAUT = fileURLToPath(new URL("../../examples/astronaut.png", import.meta.url));
const SLOW = 10 * 60_000; // on-device analysis in wasm on a loaded 2-core machine: a guard, not a timing expectation
const UI_GUARD = 3 * 60_000;

let dir: string;
let stub: StubRuntime;
let kit: LiteFaceKit;
let edge: RunningEdge;
let browser: Browser;
let serverFace: DetectedFace;

async function createKey(user: string): Promise<string> {
  const lines: string[] = [];
  await runKeysCli(["create", "--user", user, "--requests-burst", "100000", "--requests-per-minute", "100000"], join(dir, "data"), (l) => lines.push(l));
  return lines[lines.length - 1]!;
}

function api(key: string, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${edge.url}${path}`, { ...init, headers: { authorization: `Bearer ${key}`, ...init.headers } });
}

/**
 * The photo as a one-frame YUV4MPEG2 file (I420, BT.601 studio range, as chromium's file capture
 * reads it), which the fake capture device plays in a loop.
 */
async function y4mOf(photo: string, out: string): Promise<void> {
  const { data, info } = await sharp(photo).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const w = info.width & ~1;
  const h = info.height & ~1;
  const y = Buffer.alloc(w * h);
  const u = Buffer.alloc((w / 2) * (h / 2));
  const v = Buffer.alloc((w / 2) * (h / 2));
  const px = (x: number, yy: number) => {
    const o = (yy * info.width + x) * 3;
    return [data[o]!, data[o + 1]!, data[o + 2]!] as const;
  };
  for (let j = 0; j < h; j++) {
    for (let i = 0; i < w; i++) {
      const [r, g, b] = px(i, j);
      y[j * w + i] = Math.round(16 + 0.257 * r + 0.504 * g + 0.098 * b);
    }
  }
  for (let j = 0; j < h / 2; j++) {
    for (let i = 0; i < w / 2; i++) {
      let r = 0, g = 0, b = 0;
      for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]] as const) {
        const p = px(2 * i + dx, 2 * j + dy);
        (r += p[0] / 4), (g += p[1] / 4), (b += p[2] / 4);
      }
      u[j * (w / 2) + i] = Math.round(128 - 0.148 * r - 0.291 * g + 0.439 * b);
      v[j * (w / 2) + i] = Math.round(128 + 0.439 * r - 0.368 * g - 0.071 * b);
    }
  }
  await writeFile(out, Buffer.concat([Buffer.from(`YUV4MPEG2 W${w} H${h} F30:1 Ip A1:1 C420jpeg\nFRAME\n`), y, u, v]));
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) (dot += a[i]! * b[i]!), (na += a[i]! * a[i]!), (nb += b[i]! * b[i]!);
  return dot / Math.sqrt(na * nb);
}

let faces = 0;
/** An identity registered elsewhere (another device): a distinct precomputed face each call. */
async function identityFromElsewhere(key: string): Promise<string> {
  faces++;
  const embedding = Float32Array.from({ length: 512 }, (_, i) => Math.cos(i * 0.21 + faces) * (1 + (faces % 3)));
  const face = { embedding: encodeEmbedding(embedding), kps: [[200, 220], [300, 220], [250, 280], [210, 330], [290, 330]], bbox: [150, 150, 350, 400], imageWidth: 512, imageHeight: 512 };
  const res = await api(key, "/v1/identities", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ face, embeddingModel: "lite" }) });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "web-devices-"));
  const packDir = await litePackDir();
  const pipeline = await createFacePipeline({ pack: "lite", dir: packDir });
  try {
    [serverFace] = (await pipeline.analyse(await decodeImage(await readFile(ASTRONAUT)))) as [DetectedFace];
  } finally {
    await pipeline.release();
  }
  await y4mOf(ASTRONAUT, join(dir, "astronaut.y4m"));
  stub = await startStubRuntime();
  kit = await startLiteFaceKit();
  edge = await startEdge({
    dataDir: join(dir, "data"),
    runtimeUrl: stub.url,
    runtimeToken: stub.token,
    faceKit: kit,
    port: 0,
    log: () => undefined,
    webApp: nodeWebAppAssets({ facePack: { pack: "lite", dir: packDir }, outDir: join(dir, "web") }),
  });
  browser = await launchChromium({
    webgpu: false,
    // A camera that plays the astronaut, and no permission prompt.
    args: ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream", `--use-file-for-fake-video-capture=${join(dir, "astronaut.y4m")}`],
  });
}, SLOW);

afterAll(async () => {
  await browser?.close();
  await edge?.close();
  await stub?.close();
  await kit?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The page on wasm (no WebGPU flag here), its key typed and submitted with Enter. */
async function openApp(key: string): Promise<{ page: Page; cdp: CDPSession; consoleErrors: string[] }> {
  const { context, page, consoleErrors } = await phonePage(browser, { webgpu: false });
  await page.goto(`${edge.url}/?ep=wasm`);
  const cdp = await context.newCDPSession(page);
  await page.keyboard.press("Tab");
  expect(await page.evaluate("document.activeElement.id")).toBe("api-key");
  await page.keyboard.type(key);
  await page.keyboard.press("Enter");
  await page.waitForSelector("#key-status:has-text('is saved in this browser')");
  return { page, cdp, consoleErrors };
}

interface Focused {
  /** id, else aria-label, else text: how the test names it. */
  readonly key: string;
  readonly tag: string;
  readonly type: string;
  /** Chromium's computed accessible name and role. */
  readonly name: string;
  readonly role: string;
  readonly visible: boolean;
  /** A form field's <label> is on screen. */
  readonly labelled: boolean;
  readonly text: string;
}

const FOCUSED_INFO = `(() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  const shown = (x) => { if (!x) return false; const r = x.getBoundingClientRect(); return r.width > 1 && r.height > 1 && getComputedStyle(x).visibility !== "hidden"; };
  return {
    key: e.id || e.getAttribute("aria-label") || e.textContent.trim(),
    tag: e.tagName.toLowerCase(),
    type: e.getAttribute("type") || "",
    visible: shown(e) || (e.classList.contains("visually-hidden") && [...(e.labels || [])].some(shown)),
    labelled: [...(e.labels || [])].some(shown),
    text: (e.innerText || "").trim(),
  };
})()`;

async function focused(page: Page, cdp: CDPSession): Promise<Focused | null> {
  const info = (await page.evaluate(FOCUSED_INFO)) as Omit<Focused, "name" | "role"> | null;
  if (!info) return null;
  const { result } = await cdp.send("Runtime.evaluate", { expression: "document.activeElement" });
  const { nodes } = await cdp.send("Accessibility.getPartialAXTree", { objectId: result.objectId!, fetchRelatives: false });
  const node = nodes[0]!;
  return { ...info, name: String(node.name?.value ?? ""), role: String(node.role?.value ?? "") };
}

/** Polls a page expression until it is true (page.waitForFunction evaluates with eval, which the app's CSP forbids). */
async function until(page: Page, expression: string, timeoutMs = UI_GUARD): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await page.evaluate(expression))) {
    if (Date.now() > end) throw new Error(`still false after ${timeoutMs} ms: ${expression}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Tab (from where focus is) until `selector` has focus; fails after a full lap. */
async function tabTo(page: Page, selector: string): Promise<void> {
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press("Tab");
    if (await page.evaluate(`document.activeElement?.matches(${JSON.stringify(selector)}) ?? false`)) return;
  }
  throw new Error(`Tab never reached ${selector}`);
}

/** Every control a person can see and use now, named as Focused.key (a radio group by its name). */
const REACHABLE_CONTROLS = `[...document.querySelectorAll("a[href], button, input, select, textarea, [tabindex]")]
  .filter((e) => !e.disabled && !e.closest("[hidden]") && e.getClientRects().length > 0 && getComputedStyle(e).visibility !== "hidden")
  .map((e) => e.type === "radio" ? "radio:" + e.name : (e.id || e.getAttribute("aria-label") || e.textContent.trim()))`;

/**
 * One lap of Tab, from wherever focus is: every focused control once, until one comes round again
 * (past the end of the page focus leaves the document for a press or so, then wraps to the top).
 */
async function tabLap(page: Page, cdp: CDPSession): Promise<Focused[]> {
  const seen: Focused[] = [];
  let outside = 0;
  for (let i = 0; i < 100; i++) {
    await page.keyboard.press("Tab");
    const f = await focused(page, cdp);
    if (!f) {
      if (++outside > 3) throw new Error("Tab left the page and did not come back");
      continue;
    }
    if (seen.some((s) => s.key === f.key)) break;
    seen.push(f);
  }
  return seen;
}

function expectAccessible(lap: readonly Focused[]): void {
  for (const f of lap) {
    const what = `${f.tag}#${f.key}`;
    expect(f.name.trim(), `${what} has an accessible name`).not.toBe("");
    expect(f.visible, `${what} is visible when focused`).toBe(true);
    if (["input", "select", "textarea"].includes(f.tag)) expect(f.labelled, `${what} has a visible label`).toBe(true);
    // A button's visible words are in its name (WCAG 2.5.3), so speech users can say what they see.
    if (f.tag === "button") expect(f.name.toLowerCase(), what).toContain(f.text.toLowerCase());
  }
}

async function expectEveryControlReached(page: Page, lap: readonly Focused[]): Promise<void> {
  const controls = (await page.evaluate(REACHABLE_CONTROLS)) as string[];
  const reached = new Set(lap.map((f) => (f.type === "radio" ? `radio:identity` : f.key)));
  expect(controls.filter((c) => !reached.has(c)), "controls Tab never reached").toEqual([]);
}

describe("the web app with a camera, by keyboard only", () => {
  it("every control is reached by Tab with a name; key, camera, register, generate and delete run on key presses alone", async () => {
    const key = await createKey("keyboard-user");
    const { page, cdp, consoleErrors } = await openApp(key);

    const first = await tabLap(page, cdp);
    expect(first.map((f) => f.key)).toEqual(expect.arrayContaining(["api-key", "photo-file", "camera-start", "upload-photo", "prompt", "style", "steps", "size", "seed"]));
    expectAccessible(first);
    await expectEveryControlReached(page, first);

    // The camera, by keyboard: Enter starts it, focus moves to the shutter, Enter takes the photo.
    await tabTo(page, "#camera-start");
    await page.keyboard.press("Enter");
    await until(page, "document.activeElement?.id === 'camera-shoot'");
    expect(await page.evaluate("document.querySelector('#camera').videoWidth")).toBeGreaterThan(0);
    await page.keyboard.press("Enter");
    await page.waitForSelector('#analysis[data-state="face"], #analysis[data-state="no-face"], #problem:not([hidden])', { timeout: SLOW });
    await screenshot(page, "devices-1-camera-analysed");
    expect(await page.isHidden("#problem"), (await page.textContent("#problem")) ?? "").toBe(true);
    expect(await page.getAttribute("#analysis", "data-photo")).toBe("camera");
    expect(await page.getAttribute("#analysis", "data-state")).toBe("face");
    const face = await appDebug<{ embedding: number[] }>(page, ".face");
    // The camera's frame (the photo through YUV 4:2:0 and JPEG) is the same person as the photo.
    expect(cosine(face.embedding, serverFace.embedding)).toBeGreaterThan(IDENTITY_MATCH_THRESHOLDS.lite);

    await tabTo(page, "#register");
    await page.keyboard.press("Enter");
    await page.waitForSelector("#identities li", { timeout: UI_GUARD });
    const identityId = await appDebug<string>(page, ".identityId");
    expect(await page.textContent("#identities")).toContain(identityId);

    // Generate: a small size chosen with the arrow keys, 2 steps typed, Enter submits the form.
    await tabTo(page, "#size");
    await page.keyboard.press("ArrowUp");
    expect(await page.inputValue("#size")).toBe("256x256");
    await tabTo(page, "#steps");
    await page.keyboard.press("ControlOrMeta+A");
    await page.keyboard.type("2");
    await page.keyboard.press("Enter");
    await page.waitForSelector('#gen-status[data-status="succeeded"]', { timeout: UI_GUARD });
    const generationId = await appDebug<string>(page, ".generationId");
    // The recent generations list shows it with its image (fetched with the key).
    const item = `#generations li[data-id="${generationId}"]`;
    await page.waitForSelector(`${item} img[src^="blob:"]`, { timeout: UI_GUARD });
    expect(await page.getAttribute(item, "data-status")).toBe("succeeded");
    await screenshot(page, "devices-2-generated");

    // With the lists filled, a second lap still names everything and reaches the new controls.
    const second = await tabLap(page, cdp);
    expectAccessible(second);
    await expectEveryControlReached(page, second);
    expect(second.map((f) => f.key)).toEqual(expect.arrayContaining([`Delete identity ${identityId}`, `Delete generation ${generationId}`]));

    await tabTo(page, `button[aria-label="Delete generation ${generationId}"]`);
    await page.keyboard.press("Enter");
    await page.waitForSelector(item, { state: "detached", timeout: UI_GUARD });
    expect((await api(key, `/v1/generations/${generationId}`)).status).toBe(404);

    await tabTo(page, `button[aria-label="Delete identity ${identityId}"]`);
    await page.keyboard.press("Enter");
    await page.waitForSelector("#identities-empty:not([hidden])", { timeout: UI_GUARD });
    expect((await api(key, `/v1/identities/${identityId}`)).status).toBe(404);
    expect(consoleErrors).toEqual([]);
    await page.context().close();
  }, SLOW);
});

describe("the web app's lists", () => {
  it("shows the user's identities and generations from the API a page at a time, and stores only the key", async () => {
    const key = await createKey("lists-user");
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push(await identityFromElsewhere(key));
    stub.behaviour = "complete";
    const generations: string[] = [];
    for (let i = 0; i < 7; i++) {
      const res = await api(key, "/v1/generations", {
        method: "POST",
        headers: { "content-type": "application/json", prefer: "wait=30" },
        body: JSON.stringify({ identityId: ids[i % 2]!, prompt: `portrait ${i}`, width: 64, height: 64, steps: 2 }),
      });
      expect(res.status).toBe(201);
      generations.push(((await res.json()) as { id: string }).id);
    }

    const { page, consoleErrors } = await openApp(key);
    const shownIds = (list: string) => page.evaluate(`[...document.querySelectorAll("#${list} li")].map((li) => li.dataset.id)`) as Promise<string[]>;
    await page.waitForSelector("#identities li");
    await page.waitForSelector("#generations li");
    // First pages: the newest 10 identities and 6 generations, and a "More" for each.
    expect(await shownIds("identities")).toEqual([...ids].reverse().slice(0, 10));
    expect(await shownIds("generations")).toEqual([...generations].reverse().slice(0, 6));
    expect(await page.isVisible("#identities-more")).toBe(true);
    expect(await page.isVisible("#generations-more")).toBe(true);
    // The newest identity is selected for generating.
    expect(await page.isChecked(`#identities input[value="${ids[11]}"]`)).toBe(true);

    await page.focus("#identities-more");
    await page.keyboard.press("Enter");
    await page.waitForSelector("#identities-more", { state: "hidden" });
    expect(await shownIds("identities")).toEqual([...ids].reverse());
    // Focus moved to the first identity of the new page.
    expect(await page.evaluate("document.activeElement.value")).toBe(ids[1]);

    await page.focus("#generations-more");
    await page.keyboard.press("Enter");
    await page.waitForSelector("#generations-more", { state: "hidden" });
    expect(await shownIds("generations")).toEqual([...generations].reverse());
    await until(page, `document.querySelectorAll('#generations img[src^="blob:"]').length === ${generations.length}`);
    await screenshot(page, "devices-3-lists");

    // This browser keeps the key and nothing else.
    expect(await page.evaluate("Object.keys(localStorage)")).toEqual(["instantid.apiKey"]);
    expect(consoleErrors).toEqual([]);
    await page.context().close();
  }, SLOW);
});
