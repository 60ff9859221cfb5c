/**
 * Debian's chromium driven by playwright-core, never a downloaded browser, with flags that work
 * offline. --enable-unsafe-webgpu gives headless chromium a software WebGPU adapter (SwiftShader),
 * so the WebGPU path really runs; `webgpu: false` leaves the flag out and hides navigator.gpu, as on
 * a device without WebGPU.
 */
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const ARTIFACTS_DIR = fileURLToPath(new URL("../../../test-artifacts/web/", import.meta.url));

const OFFLINE_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Debian's chromium, offline; `args` adds flags (e.g. a fake camera). */
export async function launchChromium(opts: { webgpu: boolean; args?: readonly string[] }): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    // playwright's own headless switch is off: the flags above are the whole command line's intent.
    headless: false,
    args: [...OFFLINE_FLAGS, ...(opts.webgpu ? ["--enable-unsafe-webgpu"] : []), ...(opts.args ?? [])],
  });
}

/** A phone-sized page (Pixel 7's CSS viewport) whose console errors are collected. */
export async function phonePage(browser: Browser, opts: { webgpu: boolean }): Promise<{ context: BrowserContext; page: Page; consoleErrors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 412, height: 915 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  if (!opts.webgpu) {
    // A string, not a function: a transpiled function can reference helpers the page does not have.
    await context.addInitScript({ content: 'Object.defineProperty(Navigator.prototype, "gpu", { get: () => undefined, configurable: true });' });
  }
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  page.on("console", (m) => m.type() === "error" && consoleErrors.push(m.text()));
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  return { context, page, consoleErrors };
}

/** The page's `instantid` debug object (string evaluation: the app's CSP forbids eval, CDP evaluation is not eval). */
export async function appDebug<T>(page: Page, path: string): Promise<T> {
  return (await page.evaluate(`globalThis.instantid${path}`)) as T;
}

/** Picks a photo with the file input and waits until the page has analysed it (a face, no face, or a shown problem). */
export async function analysePhoto(page: Page, file: string): Promise<void> {
  await page.setInputFiles("#photo-file", file);
  await page.waitForSelector('#analysis[data-state="face"], #analysis[data-state="no-face"], #problem:not([hidden])', { timeout: 0 });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  await page.screenshot({ path: `${ARTIFACTS_DIR}${name}.png`, fullPage: true });
}
