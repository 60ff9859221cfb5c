/**
 * diffusers' `unet.attn_processors` order, which IP-Adapter checkpoints (InstantID's ip-adapter.bin)
 * index their `to_k_ip`/`to_v_ip` weights by. It is module registration order, not data-flow order:
 * UNet2DConditionModel registers its down_blocks and up_blocks lists before the mid block, and fills
 * each list block by block; each BasicTransformerBlock registers attn1 before attn2. The blocks record
 * each Attention here as they build it (the mid block's before the up blocks', as data flows), and
 * the order is read once the whole UNet is built.
 */
export class AttentionProcessors {
  private readonly sections: Map<string, string[]>;
  private frozen?: string[];

  /** `sections`: the top-level modules in registration order (their paths' first component). */
  constructor(sections: readonly string[]) {
    this.sections = new Map(sections.map((s) => [s, []]));
  }

  /** Called by the block that builds the Attention at `path` (e.g. "down_blocks.1.attentions.0.transformer_blocks.0.attn2"). */
  record(path: string): void {
    if (this.frozen) throw new Error(`attention ${path} recorded after the processor order was read`);
    const list = this.sections.get(path.split(".")[0]!);
    if (!list) throw new Error(`attention ${path} is outside the registered modules ${[...this.sections.keys()].join(", ")}`);
    if (list.includes(path)) throw new Error(`attention ${path} recorded twice`);
    list.push(path);
  }

  /** Every recorded path in attn_processors order; no more can be recorded after. */
  paths(): readonly string[] {
    return (this.frozen ??= [...this.sections.values()].flat());
  }

  indexOf(path: string): number {
    const i = this.paths().indexOf(path);
    // an inconsistency between the blocks and this record, not a bad input
    if (i < 0) throw new Error(`no attention processor recorded for ${path}`);
    return i;
  }
}

/** UNet2DConditionModel's registration order of the modules that hold attention. */
export const UNET_PROCESSOR_SECTIONS = ["down_blocks", "up_blocks", "mid_block"] as const;
