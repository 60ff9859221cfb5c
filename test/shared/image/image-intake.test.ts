import { readFileSync } from "node:fs";
import { crc32 } from "node:zlib";
import sharp, { type Sharp } from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { decodeImage } from "../../../shared/image/image-intake.ts";
import { ImageIntakeError, type ImageIntakeErrorCode } from "../../../shared/image/image-intake-error.ts";

const facesDir = new URL("../../fixtures/faces/", import.meta.url);
const astronautPng = readFileSync(new URL("astronaut.png", facesDir));
let reference: { data: Buffer; width: number; height: number };

async function refusal(bytes: Uint8Array, limits = {}): Promise<ImageIntakeError> {
  const err = await decodeImage(bytes, limits).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ImageIntakeError);
  return err as ImageIntakeError;
}

function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  expect(a.length).toBe(b.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

/** A minimal ISO-BMFF ftyp box as an iPhone HEIC starts (major brand heic, compatible mif1/heic). */
function heicHeader(): Uint8Array {
  const box = Buffer.alloc(24);
  box.writeUInt32BE(24, 0);
  box.write("ftypheic", 4, "latin1");
  box.writeUInt32BE(0, 12);
  box.write("mif1heic", 16, "latin1");
  return Buffer.concat([box, Buffer.alloc(64)]);
}

beforeAll(async () => {
  const { data, info } = await sharp(astronautPng).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  reference = { data, width: info.width, height: info.height };
});

describe("decodeImage", () => {
  it("decodes PNG to exact RGB pixels", async () => {
    const img = await decodeImage(astronautPng);
    expect([img.width, img.height]).toEqual([reference.width, reference.height]);
    expect(img.rgb.length).toBe(img.width * img.height * 3);
    expect(Buffer.compare(Buffer.from(img.rgb), reference.data)).toBe(0);
  });

  it.each([
    ["jpeg", (s: Sharp) => s.jpeg({ quality: 95 })],
    ["webp", (s: Sharp) => s.webp({ quality: 95 })],
    ["avif", (s: Sharp) => s.avif({ quality: 80 })],
  ])("decodes %s close to the original pixels", async (_name, encode) => {
    const bytes = await encode(sharp(astronautPng)).toBuffer();
    const img = await decodeImage(bytes);
    expect([img.width, img.height]).toEqual([reference.width, reference.height]);
    expect(meanAbsDiff(img.rgb, reference.data)).toBeLessThan(4);
  });

  it("turns grayscale and RGBA photos into 3-channel RGB", async () => {
    const gray = await decodeImage(readFileSync(new URL("camera.png", facesDir)));
    expect(gray.rgb.length).toBe(gray.width * gray.height * 3);
    expect(gray.rgb[0]).toBe(gray.rgb[1]);
    const rgba = await sharp(astronautPng).ensureAlpha(0.5).png().toBuffer();
    const img = await decodeImage(rgba);
    expect(Buffer.compare(Buffer.from(img.rgb), reference.data)).toBe(0);
  });

  it("applies the EXIF orientation: a sideways-stored photo tagged 6 comes out upright", async () => {
    // Orientation 6 means "rotate 90 degrees clockwise to display": store the pixels turned the other way.
    const sideways = await sharp(astronautPng).rotate(270).withMetadata({ orientation: 6 }).png().toBuffer();
    const meta = await sharp(sideways).metadata();
    expect(meta.orientation).toBe(6);
    const img = await decodeImage(sideways);
    expect([img.width, img.height]).toEqual([reference.width, reference.height]);
    expect(Buffer.compare(Buffer.from(img.rgb), reference.data)).toBe(0);
  });

  it.each([
    ["HEIC", heicHeader()],
    ["GIF", Buffer.from("GIF89a\x01\x00\x01\x00\x00\x00\x00;", "latin1")],
    ["TIFF", Buffer.from([0x49, 0x49, 0x2a, 0x00, 8, 0, 0, 0, 0, 0])],
    ["unknown", Buffer.from("definitely not an image")],
  ])("refuses %s with unsupported_format and says what to send", async (format, bytes) => {
    const err = await refusal(bytes);
    expect(err.code).toBe<ImageIntakeErrorCode>("unsupported_format");
    expect(err.format).toBe(format);
    expect(err.message).toMatch(/JPEG, PNG, WebP or AVIF/);
  });

  it("refuses a real HEIC-branded file even when the rest is a valid container", async () => {
    const avif = await sharp(astronautPng).avif().toBuffer();
    const relabelled = Buffer.from(avif);
    // Rewrite every brand of the ftyp box to HEIC ones.
    const size = relabelled.readUInt32BE(0);
    for (let o = 8; o + 4 <= size; o += 4) if (o !== 12) relabelled.write(o === 8 ? "heic" : "mif1", o, "latin1");
    expect((await refusal(relabelled)).code).toBe("unsupported_format");
  });

  it("refuses truncated JPEG bytes with corrupt_image", async () => {
    const jpeg = await sharp(astronautPng).jpeg().toBuffer();
    const err = await refusal(jpeg.subarray(0, Math.floor(jpeg.length / 2)));
    expect(err.code).toBe<ImageIntakeErrorCode>("corrupt_image");
  });

  it("refuses a PNG with a damaged body and empty input with corrupt_image", async () => {
    const png = Buffer.from(astronautPng);
    png.fill(0x55, 200, png.length - 200);
    expect((await refusal(png)).code).toBe("corrupt_image");
    expect((await refusal(new Uint8Array(0))).code).toBe("corrupt_image");
  });

  it("refuses more bytes than the byte limit before decoding", async () => {
    const err = await refusal(astronautPng, { maxBytes: astronautPng.length - 1 });
    expect(err.code).toBe<ImageIntakeErrorCode>("image_too_large");
    await expect(decodeImage(astronautPng, { maxBytes: astronautPng.length })).resolves.toBeDefined();
  });

  it("refuses more pixels than the pixel limit (a decompression bomb) from the header", async () => {
    // A small PNG whose header claims 20000 x 20000 (1.2 GB of RGB): the refusal must come from the header.
    const bomb = Buffer.from(await sharp(astronautPng).resize(64, 64).png().toBuffer());
    bomb.writeUInt32BE(20_000, 16);
    bomb.writeUInt32BE(20_000, 20);
    bomb.writeUInt32BE(crc32(bomb.subarray(12, 29)), 29);
    const err = await refusal(bomb);
    expect(err.code).toBe<ImageIntakeErrorCode>("too_many_pixels");
    const small = await refusal(astronautPng, { maxPixels: 512 * 512 - 1 });
    expect(small.code).toBe("too_many_pixels");
  });
});
