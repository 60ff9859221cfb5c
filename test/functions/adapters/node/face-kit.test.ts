import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import {
  createFaceKit,
  describeFaceKit,
  faceKitConfigFromEnv,
  FaceKitConfigError,
} from "../../../../functions/adapters/node/face-kit.ts";
import { DEFAULT_ANTELOPEV2_DIR, DEFAULT_LITE_PACK_DIR } from "../../../../shared/face/pack-dirs.ts";
import { FaceAnalysisError } from "../../../../shared/face/face-analysis-error.ts";
import { DEFAULT_IMAGE_LIMITS } from "../../../../shared/image/image-intake.ts";
import { ImageIntakeError } from "../../../../shared/image/image-intake-error.ts";

const face = (name: string) => readFile(new URL(`../../../fixtures/faces/${name}`, import.meta.url));

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (e: unknown) => e,
  );
}

describe("faceKitConfigFromEnv", () => {
  it("defaults to the lite pack where its fetch command puts it, and shared/image's limits", () => {
    expect(faceKitConfigFromEnv({})).toEqual({ pack: { pack: "lite", dir: DEFAULT_LITE_PACK_DIR }, photoLimits: DEFAULT_IMAGE_LIMITS });
    // Empty is unset, as a blank line in an env file means.
    expect(faceKitConfigFromEnv({ FACE_PACK: "", PHOTO_MAX_BYTES: " " })).toEqual(faceKitConfigFromEnv({}));
  });

  it("antelopev2 defaults to models/packs/antelopev2; FACE_PACK_DIR overrides either, resolved against the cwd", () => {
    expect(faceKitConfigFromEnv({ FACE_PACK: "antelopev2" }).pack).toEqual({ pack: "antelopev2", dir: DEFAULT_ANTELOPEV2_DIR });
    expect(DEFAULT_ANTELOPEV2_DIR).toMatch(/models[/\\]packs[/\\]antelopev2[/\\]?$/);
    expect(faceKitConfigFromEnv({ FACE_PACK: "antelopev2", FACE_PACK_DIR: "weights/antelopev2" }).pack.dir).toBe(
      resolve("weights/antelopev2"),
    );
    expect(faceKitConfigFromEnv({ FACE_PACK_DIR: "/srv/face-lite" }).pack).toEqual({ pack: "lite", dir: "/srv/face-lite" });
  });

  it("reads the photo limits and the worker count", () => {
    const config = faceKitConfigFromEnv({ PHOTO_MAX_BYTES: "1048576", PHOTO_MAX_PIXELS: "12000000", FACE_WORKERS: "3" });
    expect(config.photoLimits).toEqual({ maxBytes: 1_048_576, maxPixels: 12_000_000 });
    expect(config.workers).toBe(3);
    expect(describeFaceKit(config)).toContain("1048576 bytes, 12000000 pixels");
  });

  it.each([
    ["FACE_PACK", "buffalo_l"],
    ["PHOTO_MAX_BYTES", "0"],
    ["PHOTO_MAX_BYTES", "-5"],
    ["PHOTO_MAX_PIXELS", "1e6"],
    ["PHOTO_MAX_PIXELS", "12 MP"],
    ["FACE_WORKERS", "1.5"],
    ["PHOTO_MAX_BYTES", "99999999999999999999"],
  ])("refuses %s=%s with a typed error naming the variable", (name, value) => {
    let error: unknown;
    try {
      faceKitConfigFromEnv({ [name]: value });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FaceKitConfigError);
    expect((error as FaceKitConfigError).code).toBe("invalid_face_kit_config");
    expect((error as Error).message).toContain(name);
  });
});

describe("createFaceKit", () => {
  it("decodePhoto applies the configured limits with shared/image's intake", async () => {
    const astronaut = new Uint8Array(await face("astronaut.png")); // 512x512
    const roomy = createFaceKit(faceKitConfigFromEnv({}));
    expect(await roomy.decodePhoto(astronaut)).toMatchObject({ width: 512, height: 512 });

    const bytesLimited = createFaceKit(faceKitConfigFromEnv({ PHOTO_MAX_BYTES: String(astronaut.length - 1) }));
    const tooLarge = await rejectionOf(bytesLimited.decodePhoto(astronaut));
    expect(tooLarge).toBeInstanceOf(ImageIntakeError);
    expect((tooLarge as ImageIntakeError).code).toBe("image_too_large");

    const pixelsLimited = createFaceKit(faceKitConfigFromEnv({ PHOTO_MAX_PIXELS: String(512 * 512 - 1) }));
    expect(((await rejectionOf(pixelsLimited.decodePhoto(astronaut))) as ImageIntakeError).code).toBe("too_many_pixels");
  });

  it("an analyser whose pack folder is empty fails to start with pack_missing, saying how to get it", async () => {
    const empty = await mkdtemp(join(tmpdir(), "face-kit-empty-"));
    try {
      const kit = createFaceKit(faceKitConfigFromEnv({ FACE_PACK_DIR: empty, FACE_WORKERS: "1" }));
      const error = await rejectionOf(kit.createFaceAnalyser());
      expect(error).toBeInstanceOf(FaceAnalysisError);
      expect((error as FaceAnalysisError).code).toBe("pack_missing");
      expect((error as Error).message).toContain(empty);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
