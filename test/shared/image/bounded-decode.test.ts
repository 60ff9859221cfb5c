/**
 * Decoding memory is bounded: photos are decoded only to the size face detection needs, and only
 * while the pixels in flight fit the budget.
 */
import { readFileSync } from "node:fs";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { decodeImage } from "../../../shared/image/image-intake.ts";
import { ImageIntakeError } from "../../../shared/image/image-intake-error.ts";
import { PixelBudget } from "../../../shared/image/pixel-budget.ts";

const face = readFileSync(new URL("../../fixtures/faces/astronaut.png", import.meta.url));

/** A 7000x5000 photo (35 MP) that compresses to little: the sample face on a flat background. */
async function bigPhoto(format: "png" | "jpeg" | "webp"): Promise<Buffer> {
  const base = sharp({ create: { width: 7000, height: 5000, channels: 3, background: { r: 120, g: 130, b: 140 } } }).composite([
    { input: face, left: 3000, top: 2000 },
  ]);
  return format === "png" ? base.png().toBuffer() : format === "jpeg" ? base.jpeg().toBuffer() : base.webp().toBuffer();
}

describe("shrink on load", () => {
  it.each(["png", "jpeg", "webp"] as const)("decodes a 7000x5000 %s to 2048 on its longer side, keeping the aspect", async (format) => {
    const img = await decodeImage(await bigPhoto(format), { budget: new PixelBudget(1e9) });
    expect([img.width, img.height]).toEqual([2048, 1463]);
    expect(img.rgb.length).toBe(2048 * 1463 * 3);
  });

  it("keeps a photo within the side limit at its own size, and honours a smaller limit", async () => {
    expect(await decodeImage(face).then((i) => [i.width, i.height])).toEqual([512, 512]);
    expect(await decodeImage(face, { maxDecodedSide: 256 }).then((i) => [i.width, i.height])).toEqual([256, 256]);
  });
});

describe("pixel budget", () => {
  it("refuses a photo while the budget is taken (intake_busy with a retry hint), admits it once released", async () => {
    const budget = new PixelBudget(1_000_000);
    const held = budget.tryAcquire(900_000)!;
    const err = await decodeImage(face, { budget }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImageIntakeError);
    expect(err).toMatchObject({ code: "intake_busy", retryAfterSeconds: 1 });
    held();
    held(); // idempotent
    expect(budget.inFlight).toBe(0);
    expect((await decodeImage(face, { budget })).width).toBe(512);
    expect(budget.inFlight).toBe(0);
  });

  it("gives the pixels back when decoding fails", async () => {
    const budget = new PixelBudget(1_000_000);
    const png = await sharp(face).png().toBuffer();
    const truncated = png.subarray(0, Math.floor(png.length / 2));
    await expect(decodeImage(truncated, { budget })).rejects.toMatchObject({ code: "corrupt_image" });
    expect(budget.inFlight).toBe(0);
  });

  it("admits a photo larger than the whole budget when nothing else is in flight", () => {
    const budget = new PixelBudget(100);
    const release = budget.tryAcquire(1000);
    expect(release).toBeDefined();
    expect(budget.tryAcquire(1)).toBeUndefined();
    release!();
    expect(budget.tryAcquire(1)).toBeDefined();
  });
});
