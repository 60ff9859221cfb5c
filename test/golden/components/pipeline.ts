/**
 * The whole tiny InstantID loop from embeddings (../shared/golden/pipeline): the sibling cases' networks
 * compiled in-process (../unet with ../adapter/ip-adapter.bin, ../controlnet, ../vae_decoder, ../resampler),
 * the given prompt embeddings, kps.png as the control image and in.latents as the initial noise, run
 * through the runtime's own loop. Compares every trace.stepI.latents and out.image.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { SafetensorsFile } from "../../../shared/checkpoint/safetensors.ts";
import { createSession, type ModelSession } from "../../../shared/onnx/ort-session.ts";
import { maxAbsDiff } from "../../../shared/tensor/tensor.ts";
import type { NetworkName } from "../../../shared/pack/pack-manifest.ts";
import { buildResampler } from "../../../models/compiler/resampler.ts";
import { Weights } from "../../../models/compiler/weights.ts";
import { conditioning, scaledLatents } from "../../../gpu-runtime/pipeline/conditioning.ts";
import { rgbHwcToUnitChw } from "../../../gpu-runtime/pipeline/control-image.ts";
import type { BatchShape, DenoiseLane } from "../../../gpu-runtime/pipeline/denoise-lane.ts";
import { denoise, type StepReport } from "../../../gpu-runtime/pipeline/denoise-loop.ts";
import { FaceTokens } from "../../../gpu-runtime/pipeline/face-tokens.ts";
import { sdxlTimeIds } from "../../../gpu-runtime/pipeline/time-ids.ts";
import { decodeLatents } from "../../../gpu-runtime/pipeline/vae-decode.ts";
import { replayedNoise, seededNoise } from "../../../shared/noise/seeded-noise.ts";
import { createScheduler } from "../../../gpu-runtime/schedulers/scheduler.ts";
import { SessionNetworks } from "../../../gpu-runtime/sessions/session-networks.ts";
import { atolOf, loadGoldenCase, type GoldenCase, type GoldenResult } from "../golden-case.ts";
import { compileControlNetCase } from "./controlnet.ts";
import { compileUnetCase } from "./unet.ts";
import { compile as compileVaeDecoder } from "./vae_decoder.ts";

interface PipelineMeta {
  width: number;
  height: number;
  steps: number;
  guidance_scale: number;
  controlnet_conditioning_scale: number;
  ip_adapter_scale: number;
  scheduler: string;
  scheduler_config: Record<string, unknown>;
}

function metaOf(c: GoldenCase): PipelineMeta {
  const m = c.meta as Partial<PipelineMeta>;
  for (const k of ["width", "height", "steps", "guidance_scale", "controlnet_conditioning_scale", "ip_adapter_scale"] as const) {
    if (typeof m[k] !== "number") throw new Error(`${c.name}: meta.json has no numeric ${k}`);
  }
  if (typeof m.scheduler !== "string" || typeof m.scheduler_config !== "object") throw new Error(`${c.name}: meta.json needs scheduler and scheduler_config`);
  return m as PipelineMeta;
}

function compileResampler(dir: string): Uint8Array {
  const ckpt = SafetensorsFile.open(join(dir, "model.safetensors"));
  try {
    const w = new Weights(ckpt);
    const model = buildResampler(JSON.parse(readFileSync(join(dir, "config.json"), "utf8")), w).encode();
    w.assertAllUsed("Resampler");
    return model;
  } finally {
    ckpt.close();
  }
}

async function openNetworks(c: GoldenCase): Promise<{ networks: SessionNetworks; unetConfig: Record<string, unknown>; resamplerConfig: Record<string, unknown> }> {
  const sibling = (name: string) => loadGoldenCase(join(c.path, "..", name));
  const models: [NetworkName, Uint8Array][] = [
    ["unet", compileUnetCase(sibling("unet")).encode()],
    ["controlnet", compileControlNetCase(sibling("controlnet")).encode()],
    ["vae_decoder", compileVaeDecoder(sibling("vae_decoder"))],
    ["resampler", compileResampler(join(c.path, "..", "resampler"))],
  ];
  const sessions = new Map<NetworkName, ModelSession>();
  for (const [name, bytes] of models) sessions.set(name, await createSession(bytes));
  const json = (name: string) => JSON.parse(readFileSync(join(c.path, "..", name, "config.json"), "utf8")) as Record<string, unknown>;
  return { networks: new SessionNetworks(sessions), unetConfig: json("unet"), resamplerConfig: json("resampler") };
}

export async function run(c: GoldenCase): Promise<GoldenResult> {
  const meta = metaOf(c);
  const io = SafetensorsFile.open(join(c.path, "io.safetensors"));
  const { networks, unetConfig, resamplerConfig } = await openNetworks(c);
  try {
    const tensor = (name: string) => io.readFloat32(name);
    const idEmbeds = tensor("in.id_embeds");
    const crossDim = unetConfig.cross_attention_dim as number;
    const numTokens = resamplerConfig.num_queries as number;
    const faces = new FaceTokens(networks, idEmbeds.data.length, numTokens * crossDim);
    const [face, uncondFace] = await Promise.all([faces.of(idEmbeds.data), faces.unconditional()]);
    const cond = conditioning({ embeds: tensor("in.prompt_embeds").data, pooled: tensor("in.pooled_prompt_embeds").data }, face);
    const uncond = conditioning({ embeds: tensor("in.negative_prompt_embeds").data, pooled: tensor("in.negative_pooled_prompt_embeds").data }, uncondFace);

    const kps = await sharp(join(c.path, "kps.png")).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    if (kps.info.width !== meta.width || kps.info.height !== meta.height) {
      throw new Error(`${c.name}: kps.png is ${kps.info.width}x${kps.info.height}, meta says ${meta.width}x${meta.height}`);
    }
    const controlImage = rgbHwcToUnitChw(new Uint8Array(kps.data), meta.width, meta.height);

    const initial = tensor("in.latents");
    const [, latentChannels, latentHeight, latentWidth] = initial.shape as [number, number, number, number];
    const shape: BatchShape = { latentChannels, latentHeight, latentWidth, width: meta.width, height: meta.height, crossAttentionDim: crossDim };
    const scheduler = createScheduler(meta.scheduler, meta.scheduler_config);
    scheduler.setTimesteps(meta.steps);
    // Stochastic schedulers replay the noise the reference drew at each step.
    const draws: Float32Array[] = [];
    for (let i = 0; io.names().includes(`trace.step${i}.noise`); i++) draws.push(tensor(`trace.step${i}.noise`).data);
    const lane: DenoiseLane = {
      latents: scaledLatents(initial.data, scheduler),
      scheduler,
      noise: draws.length ? replayedNoise(draws) : seededNoise(0),
      guidanceScale: meta.guidance_scale,
      cond,
      uncond,
      controlImage,
      timeIds: sdxlTimeIds(meta.width, meta.height),
      controlScale: meta.controlnet_conditioning_scale,
      ipScale: meta.ip_adapter_scale,
      isCancelled: () => false,
    };

    const detail: Record<string, number> = {};
    const onLaneStep = ({ index, result }: StepReport) => {
      const name = `trace.step${index}.latents`;
      if (io.names().includes(name)) detail[`step${index}.latents`] = maxAbsDiff(result.prevSample, tensor(name).data);
    };
    await denoise([lane], shape, networks, { onLaneStep });
    if (Object.keys(detail).length !== meta.steps) throw new Error(`${c.name}: expected ${meta.steps} traced steps, compared ${Object.keys(detail).length}`);
    const image = await decodeLatents(networks, lane.latents, shape);
    detail.image = maxAbsDiff(image, tensor("out.image").data);

    const maxAbsErr = Math.max(...Object.values(detail));
    const atol = atolOf(c);
    return { case: c.name, component: c.component, maxAbsErr, atol, pass: maxAbsErr <= atol, detail };
  } finally {
    io.close();
    await networks.release();
  }
}
