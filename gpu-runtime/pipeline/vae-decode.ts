/** Latents to pixels: the VAE decoder (which divides by its scaling factor itself), then diffusers' postprocessing. */
import { decodedToUnitHwc } from "./decoded-image.ts";
import { outputOf, type Networks } from "./networks.ts";
import type { BatchShape } from "./denoise-lane.ts";

/** One image as HWC floats in [0, 1]. Decoded one at a time: a batch at 1024 px would hold gigabytes of activations. */
export async function decodeLatents(networks: Networks, latents: Float32Array, s: BatchShape): Promise<Float32Array> {
  const out = await networks.run("vae_decoder", {
    latents: { dtype: "float32", shape: [1, s.latentChannels, s.latentHeight, s.latentWidth], data: latents },
  });
  const image = outputOf(out, "image", "vae_decoder");
  const [, c, h, w] = image.shape;
  if (c !== 3 || h !== s.height || w !== s.width) {
    throw new Error(`vae_decoder made a ${image.shape.join("x")} image, expected 1x3x${s.height}x${s.width} (is the pack's vaeScaleFactor right?)`);
  }
  return decodedToUnitHwc(image.data as Float32Array, s.width, s.height);
}
