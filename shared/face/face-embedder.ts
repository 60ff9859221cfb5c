/**
 * A recognition network over an aligned square RGB crop: (pixel - mean) / std, planar CHW,
 * batch 1, and the output flattened as the raw embedding (no L2 normalisation: InstantID
 * feeds the unnormalised vector to its Resampler).
 */
import { runRows, type FaceSession } from "./face-session.ts";
import { float32 } from "../tensor/tensor.ts";
import type { DecodedImage } from "./face-analyser.ts";

export interface EmbedderOptions {
  readonly mean: number;
  readonly std: number;
  /** The crop's side in pixels. */
  readonly size: number;
}

/** Planar (1, 3, H, W) float input from interleaved RGB, normalised per pixel. */
export function planarInput(image: DecodedImage, mean: number, std: number) {
  const { width, height, rgb } = image;
  const plane = width * height;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    out[i] = (rgb[3 * i]! - mean) / std;
    out[plane + i] = (rgb[3 * i + 1]! - mean) / std;
    out[2 * plane + i] = (rgb[3 * i + 2]! - mean) / std;
  }
  return float32(out, [1, 3, height, width]);
}

export class FaceEmbedder {
  constructor(
    private readonly session: FaceSession,
    readonly options: EmbedderOptions,
  ) {}

  async embed(crop: DecodedImage): Promise<Float32Array> {
    const { size, mean, std } = this.options;
    if (crop.width !== size || crop.height !== size) throw new RangeError(`embed: expected a ${size}x${size} crop, got ${crop.width}x${crop.height}`);
    const out = await this.session.run({ [this.session.inputNames[0]!]: planarInput(crop, mean, std) });
    const t = out[this.session.outputNames[0]!]!;
    if (!(t.data instanceof Float32Array)) throw new TypeError(`embed: the recogniser returned ${t.dtype}, expected float32`);
    return Float32Array.from(t.data);
  }

  /** Several crops' embeddings, in one run when the session is batchable; each as embed() gives it. */
  async embedBatch(crops: readonly DecodedImage[]): Promise<Float32Array[]> {
    const { size, mean, std } = this.options;
    for (const crop of crops) if (crop.width !== size || crop.height !== size) throw new RangeError(`embed: expected a ${size}x${size} crop, got ${crop.width}x${crop.height}`);
    const outs = await runRows(this.session, this.session.inputNames[0]!, crops.map((c) => planarInput(c, mean, std)));
    return outs.map((out) => {
      const t = out[this.session.outputNames[0]!]!;
      if (!(t.data instanceof Float32Array)) throw new TypeError(`embed: the recogniser returned ${t.dtype}, expected float32`);
      return Float32Array.from(t.data);
    });
  }
}
