import type { DType, Float32Tensor, Tensor } from "../tensor/tensor.ts";

/** Where a tensor lives inside a checkpoint, before it is read. */
export interface TensorInfo {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
}

/**
 * A named map of tensors that are read one at a time on demand, so a multi-gigabyte
 * checkpoint never has to sit in memory whole. Safetensors and torch.save zips both implement it.
 */
export interface TensorSource {
  readonly file: string;
  names(): string[];
  info(name: string): TensorInfo | undefined;
  /** The tensor in its stored dtype. Throws CheckpointError("missing_tensor") for an unknown name. */
  read(name: string): Tensor;
  /** The tensor converted to float32 (F16/BF16/F64/integers widened). */
  readFloat32(name: string): Float32Tensor;
  close(): void;
}
