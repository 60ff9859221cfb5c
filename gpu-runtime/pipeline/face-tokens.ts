/**
 * InstantID's face tokens: the Resampler over the raw 512-d ArcFace embedding, cached by the
 * embedding's bytes (an identity generates many times); the unconditional tokens are
 * Resampler(zeros), computed once.
 */
import { createHash } from "node:crypto";
import { LruCache } from "../../shared/cache/lru-cache.ts";
import { outputOf, type Networks } from "./networks.ts";

export class FaceTokens {
  private readonly cache: LruCache<string, Float32Array>;
  private uncond: Promise<Float32Array> | undefined;

  constructor(
    private readonly networks: Networks,
    private readonly embeddingDim: number,
    /** numIpTokens x crossAttentionDim. */
    private readonly tokensLength: number,
    cacheCapacity = 1024,
  ) {
    this.cache = new LruCache(cacheCapacity);
  }

  get cacheStats(): { hits: number; misses: number; size: number } {
    return { hits: this.cache.hits, misses: this.cache.misses, size: this.cache.size };
  }

  async of(embedding: Float32Array): Promise<Float32Array> {
    if (embedding.length !== this.embeddingDim) {
      throw new RangeError(`face embedding has ${embedding.length} values, the pack's Resampler takes ${this.embeddingDim}`);
    }
    const key = createHash("sha256").update(new Uint8Array(embedding.buffer, embedding.byteOffset, embedding.byteLength)).digest("hex");
    return this.cache.getOrCompute(key, () => this.resample(embedding));
  }

  unconditional(): Promise<Float32Array> {
    this.uncond ??= this.resample(new Float32Array(this.embeddingDim)).catch((err: unknown) => {
      this.uncond = undefined;
      throw err;
    });
    return this.uncond;
  }

  private async resample(embedding: Float32Array): Promise<Float32Array> {
    const out = await this.networks.run("resampler", {
      id_embeds: { dtype: "float32", shape: [1, 1, this.embeddingDim], data: Float32Array.from(embedding) },
    });
    const tokens = outputOf(out, "tokens", "resampler").data as Float32Array;
    if (tokens.length !== this.tokensLength) throw new Error(`resampler returned ${tokens.length} values, expected ${this.tokensLength}`);
    return Float32Array.from(tokens);
  }
}
