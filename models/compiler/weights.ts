import type { TensorSource } from "../../shared/checkpoint/tensor-source.ts";
import { toFloat32 } from "../../shared/checkpoint/safetensors.ts";
import { sameShape, type Float32Tensor, type Tensor } from "../../shared/tensor/tensor.ts";
import { CompileError } from "./compile-error.ts";

/** Anything tensors can be looked up in by checkpoint key. */
export type WeightMap = TensorSource | ReadonlyMap<string, Tensor>;

/**
 * Checkpoint tensors as a network's compiler asks for them: by key, with the shape the config implies.
 * Records which keys were used, so leftovers (a wrong checkpoint for this config) can be reported by name.
 */
export class Weights {
  private readonly used: Set<string>;
  /** In a dry run: every key asked for, with the shape the config implies. */
  readonly requested: Map<string, readonly number[]>;

  constructor(
    private readonly source: WeightMap,
    private readonly prefix = "",
    used?: Set<string>,
    private readonly dry = false,
    requested?: Map<string, readonly number[]>,
  ) {
    this.used = used ?? new Set();
    this.requested = requested ?? new Map();
  }

  /**
   * Weights that hold nothing: get() records the key and shape and returns an empty placeholder,
   * so a compiler can enumerate a real-size network's parameters without allocating them.
   * Pair with a GraphBuilder in dryRun mode.
   */
  static dryRun(): Weights {
    return new Weights(new Map(), "", undefined, true);
  }

  /** A view whose keys are relative to `prefix` (e.g. "down_blocks.0."). */
  scope(prefix: string): Weights {
    return new Weights(this.source, this.prefix + prefix, this.used, this.dry, this.requested);
  }

  /** The full checkpoint key of a key relative to this view (what errors and the weight table name). */
  keyOf(key: string): string {
    return this.prefix + key;
  }

  has(key: string): boolean {
    const full = this.prefix + key;
    return isMap(this.source) ? this.source.has(full) : this.source.info(full) !== undefined;
  }

  /** The float32 tensor stored under key; `shape` is what the config implies (checked). */
  get(key: string, shape: readonly number[]): Float32Tensor {
    const full = this.prefix + key;
    if (this.dry) {
      this.requested.set(full, [...shape]);
      return { dtype: "float32", shape: [...shape], data: new Float32Array(0) };
    }
    const t = this.read(full);
    if (!sameShape(t.shape, shape)) {
      throw new CompileError("weight_shape", `checkpoint tensor "${full}" has shape [${t.shape.join(", ")}] but the config implies [${shape.join(", ")}]`, full);
    }
    this.used.add(full);
    return toFloat32(t);
  }

  /** Shape of a stored tensor without reading it (for configs that leave a size implicit). */
  shapeOf(key: string): readonly number[] {
    const full = this.prefix + key;
    if (isMap(this.source)) {
      const t = this.source.get(full);
      if (!t) throw missing(full);
      return t.shape;
    }
    const info = this.source.info(full);
    if (!info) throw missing(full);
    return info.shape;
  }

  /** Keys under this view's prefix that no compiler step used. */
  unused(): string[] {
    const keys = isMap(this.source) ? [...this.source.keys()] : this.source.names();
    return keys.filter((k) => k.startsWith(this.prefix) && !this.used.has(k));
  }

  /** Fails naming the first few unused tensors: a checkpoint with extra weights is not the network the config describes. */
  assertAllUsed(what: string): void {
    const left = this.unused();
    if (left.length) {
      throw new CompileError("unused_weights", `${what}: ${left.length} checkpoint tensor(s) not used by the config, e.g. ${left.slice(0, 5).map((k) => `"${k}"`).join(", ")}`, left[0]);
    }
  }

  private read(full: string): Tensor {
    if (isMap(this.source)) {
      const t = this.source.get(full);
      if (!t) throw missing(full);
      return t;
    }
    if (!this.source.info(full)) throw missing(full);
    return this.source.read(full);
  }
}

function missing(key: string): CompileError {
  return new CompileError("missing_weight", `checkpoint has no tensor "${key}"`, key);
}

function isMap(s: WeightMap): s is ReadonlyMap<string, Tensor> {
  return s instanceof Map;
}
