import { bf16ArrayToFloat32, halfArrayToFloat32 } from "../tensor/float16.ts";
import type { DType, Float32Tensor, Tensor, TensorData } from "../tensor/tensor.ts";

/** Bytes per element of each dtype, as every checkpoint format stores it. */
export const DTYPE_SIZE: Record<DType, number> = {
  float32: 4,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  uint8: 1,
  bool: 1,
};

/** Reinterpret little-endian bytes as the dtype's typed array (copying to an aligned buffer). */
export function view(bytes: Uint8Array, dtype: DType): TensorData {
  const aligned = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
  const { buffer, byteOffset, byteLength } = aligned;
  switch (dtype) {
    case "float32":
      return new Float32Array(buffer, byteOffset, byteLength / 4);
    case "float16":
    case "bfloat16":
      return new Uint16Array(buffer, byteOffset, byteLength / 2);
    case "int64":
      return new BigInt64Array(buffer, byteOffset, byteLength / 8);
    case "int32":
      return new Int32Array(buffer, byteOffset, byteLength / 4);
    case "uint8":
    case "bool":
      return new Uint8Array(buffer, byteOffset, byteLength);
  }
}

export function toFloat32(t: Tensor): Float32Tensor {
  let data: Float32Array;
  switch (t.dtype) {
    case "float32":
      data = t.data as Float32Array;
      break;
    case "float16":
      data = halfArrayToFloat32(t.data as Uint16Array);
      break;
    case "bfloat16":
      data = bf16ArrayToFloat32(t.data as Uint16Array);
      break;
    case "int64":
      data = Float32Array.from(t.data as BigInt64Array, (v) => Number(v));
      break;
    default:
      data = Float32Array.from(t.data as Int32Array | Uint8Array);
  }
  return { dtype: "float32", shape: t.shape, data };
}
