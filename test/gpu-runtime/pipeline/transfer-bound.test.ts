/**
 * What crosses between JS and ORT per denoising step, counted by the sessions themselves while the real
 * tiny pipeline runs: after a generation's first step (which binds its constants), only each image's
 * latents, the timestep and the rows' noise prediction may cross.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RuntimeGenerateRequestSchema } from "../../../shared/contract/index.ts";
import { InstantIdPipeline } from "../../../gpu-runtime/pipeline/instantid-pipeline.ts";
import type { GenerationTask } from "../../../gpu-runtime/pipeline/generation-task.ts";
import { SessionNetworks } from "../../../gpu-runtime/sessions/session-networks.ts";
import { loadPackSessions } from "../../../gpu-runtime/sessions/load-pack-sessions.ts";
import { ensureTinyPack } from "../../../models/tiny/ensure-tiny-pack.ts";
import { tinyRequest } from "../service/loopback-runtime.ts";
import { openTinyPack, type TinyPack } from "./tiny-pack-networks.ts";

function task(over: Parameters<typeof tinyRequest>[0], images: Uint8Array[]): GenerationTask {
  return {
    request: RuntimeGenerateRequestSchema.parse(tinyRequest(over)),
    cancelled: () => false,
    events: { progress() {}, preview() {}, image: (img) => images.push(img.bytes) },
  };
}

/** Bytes counted during each denoising step of one generation. */
async function bytesPerStep(pack: TinyPack, over: Parameters<typeof tinyRequest>[0]): Promise<{ perStep: number[]; images: Uint8Array[] }> {
  const perStep: number[] = [];
  const images: Uint8Array[] = [];
  let last = 0;
  const pipeline = new InstantIdPipeline(pack.networks, pack.tokenizer, pack.manifest, {
    onBatchStep: () => {
      perStep.push(pack.networks.transferBytes - last);
      last = pack.networks.transferBytes;
    },
  });
  // what the prompt and face networks move comes before the first step, and is not a step's
  last = pack.networks.transferBytes;
  const [outcome] = await pipeline.generate([task(over, images)]);
  expect(outcome).toMatchObject({ status: "done" });
  return { perStep, images };
}

describe("host-device transfer per denoising step (tiny pack, cpu)", () => {
  let pack: TinyPack;
  beforeAll(async () => {
    pack = await openTinyPack();
  });
  afterAll(async () => {
    await pack?.networks.release();
  });

  it("runs IdentityNet and the UNet as one fused session, the control embedding split out", async () => {
    expect(await pack.networks.describeDenoiser()).toEqual({ fused: true, splitEmbedding: true });
  });

  it.each([
    ["with CFG", { guidanceScale: 5, steps: 4 }],
    ["without CFG", { guidanceScale: 1, steps: 3 }],
    ["with CFG, two images", { guidanceScale: 5, steps: 3, numImages: 2 }],
  ])("keeps transferBytesPerStep <= 4 * latentBytes after the first step (%s)", async (_name, over) => {
    const m = pack.manifest.model;
    const images = (over as { numImages?: number }).numImages ?? 1;
    // one latent tensor of one image: [latentChannels, 64/f, 64/f] float32
    const latentBytes = m.latentChannels * (64 / m.vaeScaleFactor) ** 2 * 4;
    const { perStep } = await bytesPerStep(pack, over);
    expect(perStep).toHaveLength(over.steps);
    for (const bytes of perStep.slice(1)) {
      expect(bytes).toBeGreaterThan(0);
      expect(bytes).toBeLessThanOrEqual(4 * latentBytes * images);
    }
    // the first step binds the generation's constants (text and face tokens, control image...)
    expect(perStep[0]!).toBeGreaterThan(4 * latentBytes * images);
  });

  it("makes the same images as the two-session chain it replaces", async () => {
    const dir = await ensureTinyPack();
    const chained = new SessionNetworks(await loadPackSessions(dir, pack.manifest, { providers: ["cpu"], threads: 1 }), { fuseDenoiser: false });
    try {
      const over = { guidanceScale: 5, steps: 3, outputFormat: "png" as const };
      const fusedImages: Uint8Array[] = [];
      const chainImages: Uint8Array[] = [];
      const fused0 = pack.networks.transferBytes;
      await new InstantIdPipeline(pack.networks, pack.tokenizer, pack.manifest).generate([task(over, fusedImages)]);
      const fusedBytes = pack.networks.transferBytes - fused0;
      await new InstantIdPipeline(chained, pack.tokenizer, pack.manifest).generate([task(over, chainImages)]);
      expect(chainImages).toHaveLength(1);
      expect(Buffer.from(fusedImages[0]!).equals(Buffer.from(chainImages[0]!))).toBe(true);
      // the chain returns IdentityNet's residuals to JS and sends them back every step
      expect(chained.transferBytes).toBeGreaterThan(fusedBytes);
    } finally {
      await chained.release();
    }
  });
});
