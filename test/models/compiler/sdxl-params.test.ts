import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { countParameters } from "../../../models/compiler/dry-run-weights.ts";
import { buildUnet } from "../../../models/compiler/unet.ts";
import { Weights } from "../../../models/compiler/weights.ts";
import { openCheckpoint } from "../../../shared/checkpoint/open-checkpoint.ts";

/** stabilityai/stable-diffusion-xl-base-1.0 unet/config.json */
const sdxl = JSON.parse(readFileSync(join(import.meta.dirname, "../../fixtures/sdxl/unet.json"), "utf8")) as Record<string, unknown>;
const CROSS = sdxl.cross_attention_dim as number;

/** The tensors the compiler asks for (UNet and adapter attention), recorded without any weight data. */
function dryRun(config: unknown, numIpTokens = 16) {
  const unet = Weights.dryRun();
  const ip = Weights.dryRun();
  const graph = buildUnet(config, unet, ip, { numIpTokens, dryRun: true });
  return { unet, ip, graph };
}

describe("SDXL's UNet at real size, on paper", () => {
  const { unet, ip, graph } = dryRun(sdxl);

  it("holds 2,567,463,684 parameters (SDXL base's published count)", () => {
    expect(countParameters(unet)).toBe(2_567_463_684);
  });

  it("asks for diffusers' key names with the shapes the config implies", () => {
    const shape = (k: string) => unet.requested.get(k);
    expect(shape("conv_in.weight")).toEqual([320, 4, 3, 3]);
    expect(shape("add_embedding.linear_1.weight")).toEqual([1280, 2816]);
    // attention_head_dim [5, 10, 20] are head counts; depth [1, 2, 10]; mid block takes the last level's
    expect(shape("down_blocks.2.attentions.1.transformer_blocks.9.attn2.to_k.weight")).toEqual([1280, CROSS]);
    expect(shape("down_blocks.2.attentions.1.transformer_blocks.10.attn2.to_k.weight")).toBeUndefined();
    expect(shape("mid_block.attentions.0.transformer_blocks.9.ff.net.0.proj.weight")).toEqual([2 * 4 * 1280, 1280]);
    expect(shape("up_blocks.0.attentions.2.transformer_blocks.9.norm3.weight")).toEqual([1280]);
    expect(shape("up_blocks.1.attentions.2.transformer_blocks.1.attn1.to_q.weight")).toEqual([640, 640]);
    expect(shape("up_blocks.1.attentions.2.transformer_blocks.2.attn1.to_q.weight")).toBeUndefined();
    // up resnets read [h ; skip]: 1280 + 1280 in up_blocks.0, 640 + 320 for up_blocks.1's last skip
    expect(shape("up_blocks.0.resnets.0.conv1.weight")).toEqual([1280, 2560, 3, 3]);
    expect(shape("up_blocks.1.resnets.2.conv_shortcut.weight")).toEqual([640, 960, 1, 1]);
    expect(shape("up_blocks.2.resnets.2.conv1.weight")).toEqual([320, 640, 3, 3]);
    expect([...unet.requested.keys()].some((k) => k.startsWith("down_blocks.0.attentions"))).toBe(false);
  });

  it("asks for IP weights of the 70 attn2 among SDXL's 140 attention processors, by processor index", () => {
    const paths = graph.attentionProcessors;
    expect(paths).toHaveLength(140);
    const attn2 = paths.flatMap((p, i) => (p.endsWith(".attn2") ? [i] : []));
    expect(attn2).toHaveLength(70);
    const expected = new Map(attn2.flatMap((i) => [`${i}.to_k_ip.weight`, `${i}.to_v_ip.weight`].map((k) => [k, unet.requested.get(`${paths[i]}.to_k.weight`)])));
    expect(new Map(ip.requested)).toEqual(expected);
    // attn_processors lists the mid block last, though data reaches it before the up blocks
    expect(paths[139]).toBe("mid_block.attentions.0.transformer_blocks.9.attn2");
    expect(ip.requested.get("139.to_k_ip.weight")).toEqual([1280, CROSS]);
  });

  it("allocates no weights: the dry-run graph holds only small constants and refuses to encode", () => {
    expect(graph.initializerBytes).toBeLessThan(1_000_000);
    expect(() => graph.encode()).toThrow(/dry-run/);
  });

  it("lists exactly the tensors the golden case's checkpoints hold", () => {
    const dir = join(import.meta.dirname, "../../fixtures/golden/unet");
    const meta = JSON.parse(readFileSync(join(dir, "meta.json"), "utf8")) as { num_ip_tokens: number };
    const tiny = dryRun(JSON.parse(readFileSync(join(dir, "config.json"), "utf8")), meta.num_ip_tokens);
    const stored = (path: string, prefix = "") => {
      const ckpt = openCheckpoint(path);
      try {
        return new Map(ckpt.names().filter((n) => n.startsWith(prefix)).map((n) => [n.slice(prefix.length), [...ckpt.info(n)!.shape]]));
      } finally {
        ckpt.close();
      }
    };
    const asMap = (w: Weights) => new Map([...w.requested].map(([k, s]) => [k, [...s]]));
    expect(asMap(tiny.unet)).toEqual(stored(join(dir, "model.safetensors")));
    expect(asMap(tiny.ip)).toEqual(stored(join(dir, "..", "adapter", "ip-adapter.bin"), "ip_adapter."));
  });
});
