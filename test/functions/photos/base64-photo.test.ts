/**
 * Base64 photos in JSON bodies: decoded without a regular expression (phone-sized photos used to
 * overflow one), with the same byte limit as multipart (413 image_too_large, not 400).
 */
import sharp from "sharp";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { base64DecodedLength, decodeBase64Photo } from "../../../functions/photos/base64-photo.ts";
import { readFace, startHarness, type Harness } from "../helpers/edge-harness.ts";

describe("decodeBase64Photo", () => {
  it("agrees with Node's decoder on any bytes, padded or not, wrapped or not, with a data: prefix or not", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.boolean(), fc.boolean(), fc.boolean(), (bytes, pad, wrap, prefix) => {
        let b64 = Buffer.from(bytes).toString("base64");
        if (!pad) b64 = b64.replace(/=+$/, "");
        if (wrap) b64 = b64.replace(/.{1,76}/g, "$&\r\n");
        if (prefix) b64 = `data:image/png;base64,${b64}`;
        expect(base64DecodedLength(b64)).toBe(bytes.length);
        expect(decodeBase64Photo(b64)).toEqual(bytes);
      }),
      { seed: 13, numRuns: 300 },
    );
  });

  it("refuses what is not base64", () => {
    for (const s of ["", "====", "ab$c", "abc=d", "a", "abcde", "ab===", "data:image/png,abcd", "data:;base64", "é€€€"]) {
      expect(decodeBase64Photo(s), s).toBeUndefined();
    }
  });

  it("decodes 40 million characters (a 30 MB photo) without a stack overflow", () => {
    const bytes = new Uint8Array(30_000_000).map((_, i) => (i * 31) & 0xff);
    const b64 = Buffer.from(bytes).toString("base64");
    expect(b64.length).toBe(40_000_000);
    const decoded = decodeBase64Photo(b64)!;
    expect(decoded.length).toBe(bytes.length);
    expect(Buffer.from(decoded).equals(Buffer.from(bytes))).toBe(true);
  });
});

describe("POST /v1/identities with base64 JSON", () => {
  let h: Harness;
  let key: string;
  beforeAll(async () => {
    h = await startHarness();
    key = await h.createKey("user-b64");
  });
  afterAll(() => h?.close());

  const post = (body: unknown) =>
    h.fetch("/v1/identities", { method: "POST", key, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

  it("registers a photo of over 4 MB (5.8 M base64 characters, past where the old pattern overflowed)", async () => {
    // An uncompressed PNG of the sample face: about 4.3 MB of photo.
    const png = await sharp(await readFace("astronaut.png")).resize(1200, 1200, { fit: "fill" }).png({ compressionLevel: 0 }).toBuffer();
    expect(png.length).toBeGreaterThan(4_000_000);
    const b64 = png.toString("base64");
    expect(b64.length).toBeGreaterThan(5_500_000);
    const res = await post({ image: `data:image/png;base64,${b64}` });
    expect(res.status, await res.clone().text()).toBe(201);
    expect((await res.json()).imageSize).toEqual({ width: 1200, height: 1200 });
  });

  it("refuses a 27 MB photo as 413 image_too_large, as multipart would", async () => {
    const big = Buffer.alloc(27 * 1024 * 1024, 7);
    big.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const res = await post({ images: [big.toString("base64")] });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ code: "image_too_large", photoIndex: 0 });
  });

  it("still refuses non-base64 text as 400 invalid_request", async () => {
    const res = await post({ image: "this is not base64!" });
    expect(res.status).toBe(400);
    expect((await res.json()).errors).toEqual([{ path: "image", message: "not base64" }]);
  });
});
