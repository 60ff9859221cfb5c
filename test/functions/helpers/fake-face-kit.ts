/**
 * FAKE face analysis + photo intake, standing in until shared/face (lite pack) and shared/image
 * land. TODO(face-kit): replace createFakeFaceKit() with the real analyser and decodePhoto; the
 * tests using it assert only what the real ones must also satisfy (astronaut / grace_hopper have
 * one face, the rocket none; intake error codes).
 *
 * decodePhoto: a real decode with sharp (EXIF-rotated RGB) behind a magic-byte sniff, throwing
 * errors with the intake's codes. analyse: one face per photo except those marked faceless,
 * with a deterministic embedding derived from the pixels.
 */
import { createHash } from "node:crypto";
import sharp from "sharp";
import type { DecodedImage, DetectedFace, FaceAnalyser } from "../../../shared/face/face-analyser.ts";
import type { DecodePhoto } from "../../../functions/photos/decode-photo.ts";

export class FakeIntakeError extends Error {
  constructor(
    readonly code: "unsupported_format" | "image_too_large" | "too_many_pixels" | "corrupt_image",
    message: string,
  ) {
    super(message);
    this.name = "ImageIntakeError";
  }
}

export interface FaceKit {
  readonly analyser: FaceAnalyser & { readonly calls: number };
  readonly decodePhoto: DecodePhoto;
}

export interface FakeFaceKitOptions {
  readonly maxBytes?: number;
  readonly maxPixels?: number;
  /** Photos (file bytes) the fake analyser must find no face in. */
  readonly faceless?: readonly Uint8Array[];
}

const rgbHash = (img: DecodedImage) => createHash("sha256").update(img.rgb).digest("hex");

export async function createFakeFaceKit(opts: FakeFaceKitOptions = {}): Promise<FaceKit> {
  const maxBytes = opts.maxBytes ?? 20 * 1024 * 1024;
  const maxPixels = opts.maxPixels ?? 40_000_000;

  const decodePhoto: DecodePhoto = async (bytes) => {
    if (bytes.length > maxBytes) throw new FakeIntakeError("image_too_large", `photo over ${maxBytes} bytes`);
    const isPng = bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
    const isJpeg = bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
    const isWebp = bytes.length > 12 && String.fromCharCode(...bytes.subarray(8, 12)) === "WEBP";
    if (!isPng && !isJpeg && !isWebp) throw new FakeIntakeError("unsupported_format", "not PNG, JPEG or WebP");
    try {
      const meta = await sharp(bytes).metadata();
      if ((meta.width ?? 0) * (meta.height ?? 0) > maxPixels) throw new FakeIntakeError("too_many_pixels", "too many pixels");
      const { data, info } = await sharp(bytes).rotate().removeAlpha().raw().toBuffer({ resolveWithObject: true });
      return { rgb: new Uint8Array(data), width: info.width, height: info.height };
    } catch (e) {
      if (e instanceof FakeIntakeError) throw e;
      throw new FakeIntakeError("corrupt_image", `cannot decode: ${(e as Error).message}`);
    }
  };

  const faceless = new Set<string>();
  for (const bytes of opts.faceless ?? []) faceless.add(rgbHash(await decodePhoto(bytes)));

  let calls = 0;
  const analyser = {
    pack: "lite" as const,
    get calls() {
      return calls;
    },
    async analyse(image: DecodedImage): Promise<DetectedFace[]> {
      calls++;
      const hash = rgbHash(image);
      if (faceless.has(hash)) return [];
      const { width: w, height: h } = image;
      const seed = createHash("sha256").update(hash).digest();
      const embedding = new Float32Array(512);
      for (let i = 0; i < 512; i++) embedding[i] = (seed[i % 32] ^ (i * 37)) / 64 - 2;
      const face: DetectedFace = {
        bbox: [0.3 * w, 0.25 * h, 0.7 * w, 0.75 * h],
        score: 0.9,
        kps: [
          [0.42 * w, 0.42 * h],
          [0.58 * w, 0.42 * h],
          [0.5 * w, 0.52 * h],
          [0.44 * w, 0.62 * h],
          [0.56 * w, 0.62 * h],
        ],
        embedding,
        pack: "lite",
      };
      return [face];
    },
    async close() {},
  };
  return { analyser, decodePhoto };
}
