/**
 * SDXL prompt encoding: both CLIP tokenizations, both text encoders, their penultimate hidden states
 * side by side per token (77 x (h1 + h2)) and the second encoder's projected pooled embedding.
 * Results are cached by prompt text; an empty negative prompt is all zeros (force_zeros_for_empty_prompt).
 */
import type { ClipTokenizer } from "../../shared/tokenizer/index.ts";
import { CLIP_CONTEXT_LENGTH } from "../../shared/tokenizer/index.ts";
import { LruCache } from "../../shared/cache/lru-cache.ts";
import { outputOf, type Networks } from "./networks.ts";

export interface PromptEmbedding {
  /** [77, h1 + h2] row-major. */
  readonly embeds: Float32Array;
  /** [pooledDim]. */
  readonly pooled: Float32Array;
  /** Prompt tokens cut off past CLIP's 75 (0: none). */
  readonly droppedTokens: number;
}

export interface PromptEncoderDims {
  /** Hidden widths of text_encoder and text_encoder_2. */
  readonly textHiddenSizes: readonly [number, number];
  readonly pooledDim: number;
}

/** SDXL's tokenizer pads with EOS, tokenizer_2 with "!" (id 0). */
const TEXT_ENCODER_2_PAD_ID = 0;

export class PromptEncoder {
  private readonly cache: LruCache<string, PromptEmbedding>;
  private readonly zero: PromptEmbedding;

  constructor(
    private readonly networks: Networks,
    private readonly tokenizer: ClipTokenizer,
    private readonly dims: PromptEncoderDims,
    cacheCapacity = 256,
  ) {
    this.cache = new LruCache(cacheCapacity);
    const width = dims.textHiddenSizes[0] + dims.textHiddenSizes[1];
    this.zero = { embeds: new Float32Array(CLIP_CONTEXT_LENGTH * width), pooled: new Float32Array(dims.pooledDim), droppedTokens: 0 };
  }

  get cacheStats(): { hits: number; misses: number; size: number } {
    return { hits: this.cache.hits, misses: this.cache.misses, size: this.cache.size };
  }

  /** A negative prompt: zeros when empty, as SDXL's force_zeros_for_empty_prompt. */
  encodeNegative(text: string): Promise<PromptEmbedding> {
    return text === "" ? Promise.resolve(this.zero) : this.encode(text);
  }

  encode(text: string): Promise<PromptEmbedding> {
    return this.cache.getOrCompute(text, () => this.compute(text));
  }

  private async compute(text: string): Promise<PromptEmbedding> {
    const ids = this.tokenizer.encode(text);
    const first = this.tokenizer.toModelInput(ids, { padId: this.tokenizer.eosId });
    const second = this.tokenizer.toModelInput(ids, { padId: TEXT_ENCODER_2_PAD_ID });
    const [o1, o2] = await Promise.all([
      this.networks.run("text_encoder", { input_ids: idsTensor(first.ids) }),
      this.networks.run("text_encoder_2", { input_ids: idsTensor(second.ids) }),
    ]);
    const [h1, h2] = this.dims.textHiddenSizes;
    const a = outputOf(o1, "penultimate_hidden_state", "text_encoder").data as Float32Array;
    const b = outputOf(o2, "penultimate_hidden_state", "text_encoder_2").data as Float32Array;
    // SDXL pools with text_encoder_2's projection (CLIPTextModelWithProjection.text_embeds).
    const pooled = outputOf(o2, "text_embeds", "text_encoder_2").data as Float32Array;
    if (a.length !== CLIP_CONTEXT_LENGTH * h1 || b.length !== CLIP_CONTEXT_LENGTH * h2 || pooled.length !== this.dims.pooledDim) {
      throw new Error(
        `text encoders returned ${a.length}, ${b.length} and ${pooled.length} values; the pack says 77 x ${h1}, 77 x ${h2} and ${this.dims.pooledDim}`,
      );
    }
    const embeds = new Float32Array(CLIP_CONTEXT_LENGTH * (h1 + h2));
    for (let t = 0; t < CLIP_CONTEXT_LENGTH; t++) {
      embeds.set(a.subarray(t * h1, (t + 1) * h1), t * (h1 + h2));
      embeds.set(b.subarray(t * h2, (t + 1) * h2), t * (h1 + h2) + h1);
    }
    return { embeds, pooled: Float32Array.from(pooled), droppedTokens: first.droppedTokens };
  }
}

function idsTensor(ids: readonly number[]) {
  return { dtype: "int64" as const, shape: [1, ids.length], data: BigInt64Array.from(ids, (i) => BigInt(i)) };
}
