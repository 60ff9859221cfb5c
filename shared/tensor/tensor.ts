/** A dense row-major tensor: a typed array, its shape and its element type. */
export type DType = "float32" | "float16" | "bfloat16" | "int64" | "int32" | "uint8" | "bool";

export type TensorData = Float32Array | Uint16Array | BigInt64Array | Int32Array | Uint8Array;

export interface Tensor<D extends TensorData = TensorData> {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: D;
}

export type Float32Tensor = Tensor<Float32Array> & { readonly dtype: "float32" };

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function float32(data: Float32Array | number[], shape: readonly number[]): Float32Tensor {
  const arr = data instanceof Float32Array ? data : Float32Array.from(data);
  if (arr.length !== numel(shape)) {
    throw new RangeError(`float32 tensor: ${arr.length} values do not fill shape [${shape.join(", ")}]`);
  }
  return { dtype: "float32", shape: [...shape], data: arr };
}

export function zeros(shape: readonly number[]): Float32Tensor {
  return float32(new Float32Array(numel(shape)), shape);
}

/** Largest absolute elementwise difference; shapes must match. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`maxAbsDiff: lengths differ (${a.length} vs ${b.length})`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (d > m || Number.isNaN(d)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
