/**
 * diffusers' `unet.attn_processors` order, which IP-Adapter checkpoints (InstantID's ip-adapter.bin)
 * index their `to_k_ip`/`to_v_ip` weights by. It is module registration order, not data-flow order:
 * UNet2DConditionModel registers down_blocks, then up_blocks, then mid_block; each
 * BasicTransformerBlock registers attn1 before attn2.
 */
import type { LevelSpec } from "./unet-config.ts";

export interface ProcessorLayout {
  down: readonly LevelSpec[];
  up: readonly LevelSpec[];
  mid: LevelSpec;
  /** Transformer2DModels per down block; up blocks have one more. */
  layersPerBlock: number;
}

/** Module paths of every Attention, in attn_processors order (e.g. "down_blocks.1.attentions.0.transformer_blocks.0.attn2"). */
export function attentionProcessorPaths(l: ProcessorLayout): string[] {
  const paths: string[] = [];
  const block = (prefix: string, level: LevelSpec, transformers: number) => {
    if (!level.attention) return;
    for (let j = 0; j < transformers; j++) {
      for (let t = 0; t < level.attention.depth; t++) {
        const base = `${prefix}.attentions.${j}.transformer_blocks.${t}`;
        paths.push(`${base}.attn1`, `${base}.attn2`);
      }
    }
  };
  l.down.forEach((level, i) => block(`down_blocks.${i}`, level, l.layersPerBlock));
  l.up.forEach((level, i) => block(`up_blocks.${i}`, level, l.layersPerBlock + 1));
  block("mid_block", l.mid, 1);
  return paths;
}
