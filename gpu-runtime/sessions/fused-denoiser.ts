/**
 * IdentityNet + UNet as one ORT session (shared/onnx/denoiser-graph.ts), with the per-generation
 * constants bound once: the first step of a generation runs the bind graph (IdentityNet's
 * conditioning embedding at batch 1, every other constant passed through) and keeps its outputs with
 * ORT, in device memory on a GPU provider. Every step after that sends the latents and the timestep.
 */
import { dirname } from "node:path";
import { buildDenoiserGraphs, encodeModel, LANE_SAMPLE, STEP_INPUTS, type DenoiserGraphs } from "../../shared/onnx/denoiser-graph.ts";
import { decodeModel } from "../../shared/onnx/onnx-model.ts";
import { createSession, type DeviceTensor, type ModelSession, type SessionOptions } from "../../shared/onnx/ort-session.ts";
import type { Tensor } from "../../shared/tensor/tensor.ts";
import type { Feeds, Outputs } from "../pipeline/networks.ts";
import { outlineModelFile } from "./model-file-outline.ts";

const IDENTITYNET_PREFIX = "identitynet/";

/** What a network's session is opened from (an open session qualifies). */
export type SessionSource = Pick<ModelSession, "source">;
/** IdentityNet inputs that keep their names in the denoiser (the UNet has no input of that name). */
const IDENTITYNET_ONLY = new Set(["controlnet_cond", "conditioning_scale"]);

export class FusedDenoiser {
  private bound?: { key: readonly Tensor[]; feeds: Record<string, DeviceTensor> };

  private constructor(
    readonly bind: ModelSession,
    readonly denoiser: ModelSession,
    private readonly plan: DenoiserGraphs["bound"],
    /** Whether the conditioning embedding runs once per generation rather than every step. */
    readonly split: boolean,
  ) {}

  /** Opens the fused graphs from what `controlnet` and `unet` were opened from, with the same provider and options. */
  static async open(controlnet: SessionSource, unet: SessionSource, extra: Partial<SessionOptions> = {}): Promise<FusedDenoiser> {
    const folder = externalFolder(controlnet, unet);
    // from a pack's files, the derived graphs point at the weights in those files rather than copy them
    // (and the weights are never read into JS)
    const read = (m: string | Uint8Array) => (typeof m === "string" ? outlineModelFile(m) : decodeModel(m));
    const graphs = buildDenoiserGraphs(read(controlnet.source.model), read(unet.source.model));
    const options = (s: SessionSource): SessionOptions => ({ ...s.source.options, ...extra, ...(folder ? { externalDataFolder: folder } : {}) });
    const bind = await createSession(encodeModel(graphs.bind), options(controlnet));
    try {
      const denoiser = await createSession(encodeModel(graphs.denoiser), options(unet));
      return new FusedDenoiser(bind, denoiser, graphs.bound, graphs.split);
    } catch (err) {
      await bind.release();
      throw err;
    }
  }

  /** One step, from the feeds the two-session chain takes (IdentityNet's, then the UNet's). */
  async step(control: Feeds, unet: Feeds): Promise<Outputs> {
    const feed = (input: string): Tensor => {
      const t = input.startsWith(IDENTITYNET_PREFIX)
        ? control[input.slice(IDENTITYNET_PREFIX.length)]
        : IDENTITYNET_ONLY.has(input)
          ? control[input]
          : (unet[input] ?? control[input]);
      if (!t) throw new Error(`the denoiser needs "${input}", which neither IdentityNet's nor the UNet's feeds hold`);
      return t;
    };
    const key = this.plan.map((b) => feed(b.from));
    // Constants are the same objects for every step of a batch: new objects mean new constants.
    if (!this.bound || key.some((t, i) => t !== this.bound!.key[i])) {
      const feeds: Record<string, Tensor> = {};
      for (const b of this.plan) feeds[b.from] = b.from === "controlnet_cond" && this.split ? onceIfRowsEqual(feed(b.from)) : feed(b.from);
      const out = await this.bind.runToDevice(feeds);
      this.bound = { key, feeds: Object.fromEntries(this.plan.map((b) => [b.input, out[b.bindOutput]!])) };
    }
    const step: Record<string, Tensor> = {};
    for (const name of STEP_INPUTS) step[name] = feed(name === LANE_SAMPLE ? LANE_SAMPLE : name);
    return this.denoiser.run({ ...step, ...this.bound.feeds });
  }

  /** Drops the bound constants (a finished generation's), so their memory can be reclaimed. */
  unbind(): void {
    this.bound = undefined;
  }

  async release(): Promise<void> {
    this.bound = undefined;
    await Promise.all([this.bind.release(), this.denoiser.release()]);
  }
}

/** The folder whose external weight files the fused graphs refer to (both networks' graphs must share it). */
function externalFolder(controlnet: SessionSource, unet: SessionSource): string | undefined {
  const a = typeof controlnet.source.model === "string" ? dirname(controlnet.source.model) : undefined;
  const b = typeof unet.source.model === "string" ? dirname(unet.source.model) : undefined;
  if (a && b && a !== b) throw new Error(`IdentityNet (${a}) and the UNet (${b}) are in different folders`);
  return a ?? b;
}

/**
 * The control image at batch 1 when every row holds the same image (always so for CFG's two rows of
 * one request): its embedding is then computed once and broadcast over the rows.
 */
function onceIfRowsEqual(t: Tensor): Tensor {
  const rows = t.shape[0]!;
  if (rows <= 1) return t;
  const d = t.data as Float32Array;
  const len = d.length / rows;
  const first = d.subarray(0, len);
  for (let r = 1; r < rows; r++) {
    const row = d.subarray(r * len, (r + 1) * len);
    for (let i = 0; i < len; i++) if (row[i] !== first[i]) return t;
  }
  return { dtype: t.dtype, shape: [1, ...t.shape.slice(1)], data: first };
}
