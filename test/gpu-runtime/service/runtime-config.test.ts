import { describe, expect, it } from "vitest";
import { DEFAULT_PACK_DIR, RuntimeConfigError, runtimeConfigFromEnv } from "../../../gpu-runtime/service/runtime-config.ts";
import { DEFAULT_FACE_PACK_DIRS } from "../../../shared/face/pack-dirs.ts";
import { DEFAULT_IMAGE_LIMITS } from "../../../shared/image/image-intake.ts";

const TOKEN = "0123456789abcdef";

describe("runtime config from the environment", () => {
  it("has loopback defaults and the tiny pack", () => {
    const c = runtimeConfigFromEnv({ RUNTIME_TOKEN: TOKEN }, "/srv");
    expect(c).toMatchObject({ host: "127.0.0.1", port: 8788, packDir: `/srv/${DEFAULT_PACK_DIR}`, providers: ["cpu"], workers: 1 });
  });

  it("reads an execution-provider order and numbers", () => {
    const c = runtimeConfigFromEnv({ RUNTIME_TOKEN: TOKEN, RUNTIME_PROVIDERS: "webgpu, cpu", RUNTIME_QUEUE_SIZE: "3", RUNTIME_THREADS: "4" });
    expect([c.providers, c.queueCapacity, c.threads]).toEqual([["webgpu", "cpu"], 3, 4]);
  });

  it("serves faces with the lite pack and the edge's photo limits by default; PHOTO_MAX_* and RUNTIME_FACE_* change them", () => {
    expect(runtimeConfigFromEnv({ RUNTIME_TOKEN: TOKEN }).faces).toEqual({
      pack: { pack: "lite", dir: DEFAULT_FACE_PACK_DIRS.lite },
      photoLimits: DEFAULT_IMAGE_LIMITS,
      workers: 1,
    });
    const env = { RUNTIME_TOKEN: TOKEN, RUNTIME_FACE_PACK: "antelopev2", RUNTIME_FACE_PACK_DIR: "packs/a", RUNTIME_FACE_WORKERS: "2", RUNTIME_FACE_BATCH: "16", PHOTO_MAX_BYTES: "1000", PHOTO_MAX_PIXELS: "5000" };
    expect(runtimeConfigFromEnv(env, "/srv").faces).toEqual({
      pack: { pack: "antelopev2", dir: "/srv/packs/a" },
      photoLimits: { maxBytes: 1000, maxPixels: 5000 },
      workers: 2,
      batch: { maxImages: 16, windowMs: 5 },
    });
    // Face networks on a GPU provider: batching then defaults on in the face service.
    expect(runtimeConfigFromEnv({ RUNTIME_TOKEN: TOKEN, RUNTIME_FACE_PROVIDERS: "webgpu,cpu" }).faces?.pack.providers).toEqual(["webgpu", "cpu"]);
  });

  it.each([
    [{}, "RUNTIME_TOKEN"],
    [{ RUNTIME_TOKEN: "short" }, "RUNTIME_TOKEN"],
    [{ RUNTIME_TOKEN: TOKEN, RUNTIME_PORT: "http" }, "RUNTIME_PORT"],
    [{ RUNTIME_TOKEN: TOKEN, RUNTIME_PORT: "70000" }, "RUNTIME_PORT"],
    [{ RUNTIME_TOKEN: TOKEN, RUNTIME_QUEUE_SIZE: "0" }, "RUNTIME_QUEUE_SIZE"],
    [{ RUNTIME_TOKEN: TOKEN, RUNTIME_WORKERS: "1.5" }, "RUNTIME_WORKERS"],
    [{ RUNTIME_TOKEN: TOKEN, RUNTIME_PROVIDERS: "tpu" }, "tpu"],
    [{ RUNTIME_TOKEN: TOKEN, RUNTIME_PROVIDERS: "cpu,cpu" }, "twice"],
    [{ RUNTIME_TOKEN: TOKEN, RUNTIME_FACE_PACK: "buffalo_l" }, "RUNTIME_FACE_PACK"],
    [{ RUNTIME_TOKEN: TOKEN, RUNTIME_FACE_WORKERS: "0" }, "RUNTIME_FACE_WORKERS"],
    [{ RUNTIME_TOKEN: TOKEN, RUNTIME_FACE_BATCH: "0" }, "RUNTIME_FACE_BATCH"],
    [{ RUNTIME_TOKEN: TOKEN, RUNTIME_FACE_PROVIDERS: "tpu" }, "tpu"],
    [{ RUNTIME_TOKEN: TOKEN, PHOTO_MAX_BYTES: "1e6" }, "PHOTO_MAX_BYTES"],
  ])("refuses %j naming %s", (env, what) => {
    expect(() => runtimeConfigFromEnv(env)).toThrow(RuntimeConfigError);
    expect(() => runtimeConfigFromEnv(env)).toThrow(what);
  });
});
