import { numel, type Float32Tensor, type Tensor } from "../tensor/tensor.ts";
import { CheckpointError } from "./checkpoint-error.ts";
import { DTYPE_SIZE, toFloat32, view } from "./tensor-bytes.ts";
import type { TensorInfo, TensorSource } from "./tensor-source.ts";
import { flattenStateDict, parseTorchPickle, type TensorView } from "./torch-pickle.ts";
import { ZipArchive } from "./zip-archive.ts";

/**
 * A torch.save checkpoint (the zip format, PyTorch >= 1.6) as a TensorSource. Opening reads the
 * zip directory and data.pkl only; each tensor's bytes are read from its `<archive>/data/<key>`
 * record when asked for, and only the span its view covers.
 */

interface TorchTensorEntry extends TensorInfo {
  readonly view: TensorView;
  /** Zip entry of its storage. */
  readonly record: string;
}

export class TorchCheckpoint implements TensorSource {
  private readonly entries = new Map<string, TorchTensorEntry>();

  private constructor(
    readonly file: string,
    private readonly zip: ZipArchive,
  ) {
    const prefix = archivePrefix(zip, file);
    const byteorder = zip.entry(`${prefix}byteorder`);
    if (byteorder) {
      const order = new TextDecoder().decode(zip.read(byteorder.name)).trim();
      if (order !== "little") throw new CheckpointError("malformed", `checkpoint was written ${order}-endian; only little-endian is supported`, file);
    }
    const tree = parseTorchPickle(zip.read(`${prefix}data.pkl`), file);
    for (const [name, v] of flattenStateDict(tree, file)) {
      const dtype = v.storage.type.dtype;
      if (!dtype) throw new CheckpointError("unsupported_dtype", `tensor "${name}" is stored as torch.${v.storage.type.name}, which is not supported`, file, name);
      const record = `${prefix}data/${v.storage.key}`;
      const entry = zip.entry(record);
      if (!entry) throw new CheckpointError("malformed", `tensor "${name}" refers to storage ${v.storage.key}, but there is no ${record}`, file, name);
      const storageBytes = v.storage.numel * DTYPE_SIZE[dtype];
      if (entry.uncompressedSize < storageBytes) {
        throw new CheckpointError("truncated", `storage ${v.storage.key} of tensor "${name}" has ${entry.uncompressedSize} bytes, needs ${storageBytes}`, file, name);
      }
      if (numel(v.shape) > 0 && v.offset + lastIndex(v) >= v.storage.numel) {
        throw new CheckpointError("malformed", `tensor "${name}" [${v.shape.join(", ")}] at offset ${v.offset} reaches past its ${v.storage.numel}-element storage`, file, name);
      }
      this.entries.set(name, { name, dtype, shape: v.shape, view: v, record });
    }
  }

  static open(path: string): TorchCheckpoint {
    const zip = ZipArchive.open(path);
    try {
      return new TorchCheckpoint(path, zip);
    } catch (err) {
      zip.close();
      throw err;
    }
  }

  static fromBytes(bytes: Uint8Array, label = "<memory>"): TorchCheckpoint {
    return new TorchCheckpoint(label, ZipArchive.fromBytes(bytes, label));
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  info(name: string): TensorInfo | undefined {
    const e = this.entries.get(name);
    return e && { name: e.name, dtype: e.dtype, shape: e.shape };
  }

  read(name: string): Tensor {
    const e = this.entries.get(name);
    if (!e) throw new CheckpointError("missing_tensor", `no tensor named "${name}"`, this.file, name);
    const { view: v, dtype } = e;
    const size = DTYPE_SIZE[dtype];
    const count = numel(v.shape);
    if (count === 0) return { dtype, shape: [...v.shape], data: view(new Uint8Array(0), dtype) };
    const span = lastIndex(v) + 1;
    const bytes = this.zip.readRange(e.record, v.offset * size, span * size);
    const data = isContiguous(v) ? bytes : gather(bytes, v, size);
    return { dtype, shape: [...v.shape], data: view(data, dtype) };
  }

  readFloat32(name: string): Float32Tensor {
    return toFloat32(this.read(name));
  }

  close(): void {
    this.zip.close();
  }
}

/** torch.save names every record `<archive name>/...`; the archive name is the file's stem at save time. */
function archivePrefix(zip: ZipArchive, file: string): string {
  const pickles = zip.entries().filter((e) => /^[^/]+\/data\.pkl$/.test(e.name));
  if (pickles.length !== 1) {
    throw new CheckpointError(
      "malformed",
      pickles.length === 0 ? "zip has no <archive>/data.pkl: not a torch.save checkpoint" : "zip holds several data.pkl records: not a single torch.save checkpoint",
      file,
    );
  }
  return pickles[0]!.name.slice(0, -"data.pkl".length);
}

/** Element index, relative to the view's offset, of its last element (numel > 0). */
function lastIndex(v: TensorView): number {
  let last = 0;
  for (let d = 0; d < v.shape.length; d++) last += (v.shape[d]! - 1) * v.stride[d]!;
  return last;
}

/** Row-major and dense; strides of size-1 dimensions do not matter. */
function isContiguous(v: TensorView): boolean {
  let expected = 1;
  for (let d = v.shape.length - 1; d >= 0; d--) {
    if (v.shape[d] === 1) continue;
    if (v.stride[d] !== expected) return false;
    expected *= v.shape[d]!;
  }
  return true;
}

/** Copies a strided view (bytes start at its first element) into a dense row-major buffer. */
function gather(bytes: Uint8Array, v: TensorView, size: number): Uint8Array {
  const rank = v.shape.length;
  const out = new Uint8Array(numel(v.shape) * size);
  const index = new Array<number>(rank).fill(0);
  let src = 0;
  for (let o = 0; o < out.byteLength; o += size) {
    out.set(bytes.subarray(src * size, src * size + size), o);
    // odometer over the dimensions, last fastest
    for (let d = rank - 1; d >= 0; d--) {
      src += v.stride[d]!;
      if (++index[d]! < v.shape[d]!) break;
      src -= v.stride[d]! * v.shape[d]!;
      index[d] = 0;
    }
  }
  return out;
}
