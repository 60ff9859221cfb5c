/**
 * The Workers edge's photo analysis (functions/adapters/runtime-photo-analyser.ts) against a real
 * runtime on loopback: the same PhotoAnalysis as the Node edge's in-process analyser, the same
 * intake errors, and refusals the edge can make itself never reach the runtime.
 */
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNodePhotoAnalyser } from "../../../functions/adapters/node/photo-analyser.ts";
import { createRuntimePhotoAnalyser } from "../../../functions/adapters/runtime-photo-analyser.ts";
import { ApiError } from "../../../functions/errors/api-error.ts";
import type { PhotoAnalyser } from "../../../functions/ports/photo-analysis.ts";
import { createFaceAnalyser } from "../../../shared/face/onnx-face-analyser.ts";
import { decodeImage } from "../../../shared/image/image-intake.ts";
import { ImageIntakeError } from "../../../shared/image/image-intake-error.ts";
import { PixelBudget } from "../../../shared/image/pixel-budget.ts";
import { startLoopbackRuntime, TOKEN, type LoopbackRuntime } from "../../gpu-runtime/service/loopback-runtime.ts";
import { litePackDir } from "../../shared/face/lite-pack.ts";

const photo = async (name: string) => new Uint8Array(await readFile(new URL(`../../fixtures/faces/${name}`, import.meta.url)));
/** One pixel budget for the runtime's intake and the local one (both in this process), roomy unless a test fills it. */
const BUDGET = new PixelBudget(50_000_000);
const LIMITS = { maxBytes: 2_000_000, maxPixels: 3_000_000, budget: BUDGET };

let rt: LoopbackRuntime;
let local: PhotoAnalyser;
let forwarded = 0;
let remote: PhotoAnalyser;
beforeAll(async () => {
  const dir = await litePackDir();
  rt = await startLoopbackRuntime({ faces: { pack: { pack: "lite", dir }, photoLimits: LIMITS, workers: 1 } });
  local = createNodePhotoAnalyser((b) => decodeImage(b, LIMITS), await createFaceAnalyser({ pack: "lite", dir }, { workers: 1 }));
  remote = createRuntimePhotoAnalyser({
    baseUrl: rt.url,
    token: TOKEN,
    maxBytes: LIMITS.maxBytes,
    fetch: (input, init) => {
      forwarded++;
      return fetch(input, init);
    },
  });
});
afterAll(async () => {
  await remote?.close();
  await local?.close();
  await rt?.close();
});

async function rejection(p: Promise<unknown>): Promise<any> {
  return p.then(
    () => expect.unreachable("expected a rejection"),
    (e: unknown) => e,
  );
}

describe("runtime photo analyser", () => {
  it.each(["astronaut.png", "grace_hopper.jpg", "sample4.jpg", "no-face-rocket.jpg"])("gives %s the Node edge's analysis", async (name) => {
    const bytes = await photo(name);
    const [viaRuntime, inProcess] = [await remote.analyse(bytes), await local.analyse(bytes)];
    expect(viaRuntime.faces.every((f) => f.embedding instanceof Float32Array)).toBe(true);
    expect(viaRuntime).toEqual(inProcess);
  });

  it("refuses an oversized, empty or non-image photo itself, without forwarding it", async () => {
    const before = forwarded;
    const tooBig = await rejection(remote.analyse(new Uint8Array(LIMITS.maxBytes + 1).fill(0xff)));
    expect(tooBig).toBeInstanceOf(ImageIntakeError);
    expect(tooBig.code).toBe("image_too_large");
    expect((await rejection(remote.analyse(new Uint8Array(0)))).code).toBe("corrupt_image");
    const junk = await rejection(remote.analyse(new TextEncoder().encode("GIF89a pretending")));
    expect([junk.constructor, junk.code]).toEqual([ImageIntakeError, "unsupported_format"]);
    expect(forwarded).toBe(before);
  });

  it("turns the runtime's intake refusals into the same ImageIntakeError codes as the local intake", async () => {
    const truncated = (await photo("astronaut.png")).subarray(0, 3000);
    const viaRuntime = await rejection(remote.analyse(truncated));
    const inProcess = await rejection(local.analyse(truncated));
    expect(viaRuntime).toBeInstanceOf(ImageIntakeError);
    expect(viaRuntime.code).toBe("corrupt_image");
    expect(viaRuntime.code).toBe(inProcess.code);

    const sharp = (await import("sharp")).default;
    const huge = new Uint8Array(await sharp({ create: { width: 2000, height: 2000, channels: 3, background: "#446688" } }).jpeg().toBuffer());
    const before = forwarded;
    expect((await rejection(remote.analyse(huge))).code).toBe("too_many_pixels");
    expect(forwarded).toBe(before + 1);
    expect((await rejection(local.analyse(huge))).code).toBe("too_many_pixels");
  });

  it("passes the runtime's intake_busy on with its retry delay, as the local intake throws it", async () => {
    const png = await photo("astronaut.png");
    // Another decode holding nearly all of the budget: a 512x512 photo no longer fits.
    const release = BUDGET.tryAcquire(BUDGET.capacity - 1000)!;
    try {
      const viaRuntime = await rejection(remote.analyse(png));
      const inProcess = await rejection(local.analyse(png));
      expect(viaRuntime).toBeInstanceOf(ImageIntakeError);
      expect([viaRuntime.code, viaRuntime.retryAfterSeconds]).toEqual([inProcess.code, inProcess.retryAfterSeconds]);
      expect(viaRuntime.code).toBe("intake_busy");
    } finally {
      release();
    }
    expect((await remote.analyse(png)).faces.length).toBeGreaterThan(0);
  });

  it("answers a 503 problem (not a client error) when the runtime refuses its token or cannot be reached", async () => {
    const png = await photo("astronaut.png");
    const wrongToken = createRuntimePhotoAnalyser({ baseUrl: rt.url, token: "not-the-token-0123456789", maxBytes: LIMITS.maxBytes });
    const refused = await rejection(wrongToken.analyse(png));
    expect(refused).toBeInstanceOf(ApiError);
    expect([refused.status, refused.code]).toEqual([503, "face_analysis_unavailable"]);
    expect(refused.detail).toContain("401");

    // A port nothing listens on: the runtime is down.
    const down = createRuntimePhotoAnalyser({ baseUrl: "http://127.0.0.1:9", token: TOKEN, maxBytes: LIMITS.maxBytes });
    const unreachable = await rejection(down.analyse(png));
    expect([unreachable.status, unreachable.code]).toEqual([503, "face_analysis_unavailable"]);
  });
});
