import { afterAll, beforeAll, describe, expect, it } from "vitest";
import sharp from "sharp";
import { photoForm, readFace, startHarness, type Harness } from "../helpers/edge-harness.ts";

// The intake's limits as an operator sets them (PHOTO_MAX_BYTES, PHOTO_MAX_PIXELS), small here so
// the test photos cross them: astronaut.png is 791 KB at 512x512.
let h: Harness;
let key: string;

beforeAll(async () => {
  h = await startHarness({ faceEnv: { PHOTO_MAX_BYTES: "400000", PHOTO_MAX_PIXELS: String(400 * 400) } });
  key = await h.createKey("user-intake");
});
afterAll(() => h?.close());

const register = (...photos: Uint8Array[]) => h.fetch("/v1/identities", { method: "POST", key, body: photoForm(...photos) });

describe("image intake limits from the environment become problems", () => {
  it("a photo over PHOTO_MAX_BYTES: 413 image_too_large", async () => {
    const res = await register(await readFace("astronaut.png"));
    expect(res.status).toBe(413);
    const body = await res.json();
    expect(body.code).toBe("image_too_large");
    expect(body.detail).toContain("400000");
  });

  it("a photo over PHOTO_MAX_PIXELS: 413 too_many_pixels", async () => {
    // 61 KB, well under the byte limit, but 512x600 pixels.
    const res = await register(await readFace("grace_hopper.jpg"));
    expect(res.status).toBe(413);
    expect((await res.json()).code).toBe("too_many_pixels");
  });

  it("a photo within both limits is analysed", async () => {
    const small = new Uint8Array(await sharp(await readFace("grace_hopper.jpg")).resize(340, 400).jpeg().toBuffer());
    const res = await register(small);
    expect(res.status).toBe(201);
    expect((await res.json()).faces).toBe(1);
  });

  it("names the offending photo when there are several", async () => {
    const ok = new Uint8Array(await sharp(await readFace("grace_hopper.jpg")).resize(340, 400).png().toBuffer());
    const res = await register(ok, new TextEncoder().encode("plain text"));
    expect(res.status).toBe(415);
    const body = await res.json();
    expect(body.code).toBe("unsupported_format");
    expect(body.photoIndex).toBe(1);
    expect(body.detail).toMatch(/^photo 2 of 2: /);
  });
});
