import { afterAll, beforeAll, describe, expect, it } from "vitest";
import sharp from "sharp";
import { createFakeFaceKit } from "../helpers/fake-face-kit.ts";
import { photoForm, readFace, startHarness, type Harness } from "../helpers/edge-harness.ts";

// The intake's size limits, exercised with a kit configured small. TODO(face-kit): the real
// shared/image intake with its own limits replaces the fake here.
let h: Harness;
let key: string;

beforeAll(async () => {
  h = await startHarness({ kit: await createFakeFaceKit({ maxBytes: 200_000, maxPixels: 300 * 300 }) });
  key = await h.createKey("user-intake");
});
afterAll(() => h.close());

const register = (photo: Uint8Array) => h.fetch("/v1/identities", { method: "POST", key, body: photoForm(photo) });

describe("image intake errors become problems", () => {
  it("image_too_large: 413", async () => {
    const res = await register(await readFace("astronaut.png"));
    expect(res.status).toBe(413);
    expect((await res.json()).code).toBe("image_too_large");
  });

  it("too_many_pixels: 413", async () => {
    const big = new Uint8Array(
      await sharp({ create: { width: 400, height: 400, channels: 3, background: "#000" } }).jpeg().toBuffer(),
    );
    const res = await register(big);
    expect(res.status).toBe(413);
    expect((await res.json()).code).toBe("too_many_pixels");
  });

  it("names the offending photo when there are several", async () => {
    const ok = new Uint8Array(await sharp({ create: { width: 64, height: 64, channels: 3, background: "#888" } }).png().toBuffer());
    const res = await h.fetch("/v1/identities", {
      method: "POST",
      key,
      body: photoForm(ok, new TextEncoder().encode("plain text")),
    });
    expect(res.status).toBe(415);
    const body = await res.json();
    expect(body.code).toBe("unsupported_format");
    expect(body.photoIndex).toBe(1);
  });
});
