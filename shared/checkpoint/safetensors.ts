import { writeFileSync } from "node:fs";
import { numel, type DType, type Float32Tensor, type Tensor } from "../tensor/tensor.ts";
import { fileReader, memoryReader, type ByteReader } from "./byte-reader.ts";
import { CheckpointError } from "./checkpoint-error.ts";
import { toFloat32, view } from "./tensor-bytes.ts";
import type { TensorInfo, TensorSource } from "./tensor-source.ts";

// Kept here too: callers imported them from this module first.
export { toFloat32, view };

/** safetensors dtype name -> our dtype and element size. */
const DTYPES: Record<string, { dtype: DType; size: number }> = {
  F32: { dtype: "float32", size: 4 },
  F16: { dtype: "float16", size: 2 },
  BF16: { dtype: "bfloat16", size: 2 },
  I64: { dtype: "int64", size: 8 },
  I32: { dtype: "int32", size: 4 },
  U8: { dtype: "uint8", size: 1 },
  BOOL: { dtype: "bool", size: 1 },
};
const NAMES: Partial<Record<DType, string>> = Object.fromEntries(
  Object.entries(DTYPES).map(([name, { dtype }]) => [dtype, name]),
);

/** A header over 100 MB is no real checkpoint: refuse it before allocating. */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export interface SafetensorsEntry extends TensorInfo {
  /** Offset from the start of the file. */
  readonly byteOffset: number;
  readonly byteLength: number;
}

export class SafetensorsFile implements TensorSource {
  readonly metadata: Record<string, string>;
  private readonly entries: Map<string, SafetensorsEntry>;

  private constructor(
    readonly file: string,
    private readonly reader: ByteReader,
  ) {
    const parsed = parseHeader(reader, file);
    this.metadata = parsed.metadata;
    this.entries = parsed.entries;
  }

  static open(path: string): SafetensorsFile {
    const reader = fileReader(path);
    try {
      return new SafetensorsFile(path, reader);
    } catch (err) {
      reader.close();
      throw err;
    }
  }

  static fromBytes(bytes: Uint8Array, label = "<memory>"): SafetensorsFile {
    return new SafetensorsFile(label, memoryReader(bytes, label));
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  info(name: string): SafetensorsEntry | undefined {
    return this.entries.get(name);
  }

  read(name: string): Tensor {
    const e = this.entries.get(name);
    if (!e) throw new CheckpointError("missing_tensor", `no tensor named "${name}"`, this.file, name);
    const bytes = this.reader.read(e.byteOffset, e.byteLength);
    return { dtype: e.dtype, shape: e.shape, data: view(bytes, e.dtype) };
  }

  readFloat32(name: string): Float32Tensor {
    return toFloat32(this.read(name));
  }

  close(): void {
    this.reader.close();
  }
}

function parseHeader(reader: ByteReader, file: string) {
  if (reader.size < 8) throw new CheckpointError("truncated", `file is ${reader.size} bytes, shorter than the 8-byte header length`, file);
  const lenBytes = reader.read(0, 8);
  const headerLen = Number(new DataView(lenBytes.buffer, lenBytes.byteOffset, 8).getBigUint64(0, true));
  if (headerLen > MAX_HEADER_BYTES) throw new CheckpointError("malformed", `header length ${headerLen} is implausible (not a safetensors file?)`, file);
  if (8 + headerLen > reader.size) throw new CheckpointError("truncated", `header claims ${headerLen} bytes but the file has ${reader.size - 8} after the length`, file);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(reader.read(8, headerLen)));
  } catch (err) {
    throw new CheckpointError("malformed", `header is not valid UTF-8 JSON (${(err as Error).message})`, file);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw new CheckpointError("malformed", "header is not a JSON object", file);
  const dataStart = 8 + headerLen;
  const dataSize = reader.size - dataStart;
  const metadata: Record<string, string> = {};
  const entries = new Map<string, SafetensorsEntry>();
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (raw && typeof raw === "object") for (const [k, v] of Object.entries(raw)) if (typeof v === "string") metadata[k] = v;
      continue;
    }
    const r = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (!r || typeof r !== "object" || typeof r.dtype !== "string" || !Array.isArray(r.shape) || !Array.isArray(r.data_offsets) || r.data_offsets.length !== 2) {
      throw new CheckpointError("malformed", `tensor "${name}" has no dtype/shape/data_offsets`, file, name);
    }
    const dt = Object.hasOwn(DTYPES, r.dtype) ? DTYPES[r.dtype] : undefined; // not "toString" & co.
    if (!dt) throw new CheckpointError("unsupported_dtype", `tensor "${name}" has dtype ${r.dtype}; supported: ${Object.keys(DTYPES).join(", ")}`, file, name);
    const shape = r.shape as unknown[];
    if (!shape.every((d) => Number.isInteger(d) && (d as number) >= 0)) throw new CheckpointError("malformed", `tensor "${name}" has an invalid shape`, file, name);
    const [begin, end] = r.data_offsets as [unknown, unknown];
    if (!Number.isInteger(begin) || !Number.isInteger(end) || (begin as number) < 0 || (end as number) < (begin as number)) {
      throw new CheckpointError("malformed", `tensor "${name}" has invalid data_offsets`, file, name);
    }
    const byteLength = (end as number) - (begin as number);
    if (byteLength !== numel(shape as number[]) * dt.size) {
      throw new CheckpointError("malformed", `tensor "${name}" spans ${byteLength} bytes but [${shape.join(", ")}] ${r.dtype} needs ${numel(shape as number[]) * dt.size}`, file, name);
    }
    if ((end as number) > dataSize) throw new CheckpointError("truncated", `tensor "${name}" ends at byte ${end} of a ${dataSize}-byte data section`, file, name);
    entries.set(name, { name, dtype: dt.dtype, shape: shape as number[], byteOffset: dataStart + (begin as number), byteLength });
  }
  return { metadata, entries };
}

/** Serialise tensors (insertion order kept) as a safetensors file. */
export function encodeSafetensors(tensors: Record<string, Tensor>, metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  const parts: Uint8Array[] = [];
  for (const [name, t] of Object.entries(tensors)) {
    const dtypeName = NAMES[t.dtype];
    if (!dtypeName) throw new CheckpointError("unsupported_dtype", `cannot write dtype ${t.dtype}`, undefined, name);
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    const expected = numel(t.shape) * DTYPES[dtypeName]!.size;
    if (bytes.byteLength !== expected) {
      throw new CheckpointError("shape_mismatch", `tensor "${name}" has ${bytes.byteLength} bytes of data but [${t.shape.join(", ")}] ${dtypeName} needs ${expected}`, undefined, name);
    }
    header[name] = { dtype: dtypeName, shape: t.shape, data_offsets: [offset, offset + bytes.byteLength] };
    parts.push(bytes);
    offset += bytes.byteLength;
  }
  const headerText = JSON.stringify(header);
  // Pad with spaces so tensor data stays 8-byte aligned; count UTF-8 bytes, not string length (names may be non-ASCII).
  const padding = (8 - ((new TextEncoder().encode(headerText).byteLength + 8) % 8)) % 8;
  const headerBytes = new TextEncoder().encode(headerText + " ".repeat(padding));
  const out = new Uint8Array(8 + headerBytes.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.byteLength;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.byteLength;
  }
  return out;
}

export function writeSafetensors(path: string, tensors: Record<string, Tensor>, metadata?: Record<string, string>): void {
  writeFileSync(path, encodeSafetensors(tensors, metadata));
}
