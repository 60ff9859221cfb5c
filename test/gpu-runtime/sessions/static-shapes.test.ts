/** Sessions specialised to one served resolution (ORT free-dimension overrides), on the tiny pack's VAE decoder. */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readPackManifest } from "../../../shared/pack/pack-manifest.ts";
import { createSession } from "../../../shared/onnx/ort-session.ts";
import { float32 } from "../../../shared/tensor/tensor.ts";
import { ensureTinyPack } from "../../../models/tiny/ensure-tiny-pack.ts";

describe("free-dimension overrides", () => {
  it("run the resolution they fix and refuse any other", async () => {
    const dir = await ensureTinyPack();
    const manifest = readPackManifest(dir);
    const c = manifest.model.latentChannels;
    const session = await createSession(join(dir, manifest.networks.vae_decoder), { freeDimensionOverrides: { height: 8, width: 8 } });
    try {
      const out = await session.run({ latents: float32(new Float32Array(c * 64).fill(0.1), [1, c, 8, 8]) });
      expect(out.image!.shape).toEqual([1, 3, 8 * manifest.model.vaeScaleFactor, 8 * manifest.model.vaeScaleFactor]);
      await expect(session.run({ latents: float32(new Float32Array(c * 256), [1, c, 16, 16]) })).rejects.toThrow(/dimension/i);
    } finally {
      await session.release();
    }
  });
});
