/**
 * A pack's ONNX file read as its graph without its weights: every inline initializer over 1 KB becomes
 * a reference to its bytes inside that same file (ONNX external data: location, offset, length), so a
 * graph derived from it (the fused denoiser's) is small and ORT reads the weights from the file itself.
 *
 * The file is walked in protobuf's wire format a window at a time, seeking over the weights' bytes
 * rather than reading them: decoding the whole file instead held it in JS (800 MB for the mid pack's
 * IdentityNet + UNet) until a garbage collection that ORT's own allocations never prompt, on top of the
 * weights ORT loads, so it set the process's peak memory.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { basename } from "node:path";
import { onnx, type ModelProto } from "../../shared/onnx/onnx-model.ts";

type GraphProto = import("onnx-proto").onnx.GraphProto;
type TensorProto = import("onnx-proto").onnx.TensorProto;

/** Initializers at most this large are read inline (names of small constants, shapes, scales). */
const INLINE_LIMIT = 1024;
const WINDOW = 1 << 20;

// field numbers in onnx.proto
const MODEL_GRAPH = 7;
const GRAPH_INITIALIZER = 5;
const TENSOR_RAW_DATA = 9;
const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;

export function outlineModelFile(path: string): ModelProto {
  const file = new FileReader(path);
  try {
    const modelFields: Uint8Array[] = [];
    let graph: GraphProto | undefined;
    while (!file.atEnd()) {
      const start = file.position;
      const { field, wire } = file.tag();
      if (field === MODEL_GRAPH && wire === WIRE_LEN) {
        const length = file.varint();
        graph = outlineGraph(file, file.position + length, basename(path));
      } else {
        file.skipValue(wire);
        modelFields.push(file.bytesFrom(start));
      }
    }
    const model = onnx.ModelProto.decode(concat(modelFields));
    if (graph) model.graph = graph;
    return model;
  } finally {
    file.close();
  }
}

function outlineGraph(file: FileReader, end: number, location: string): GraphProto {
  const fields: Uint8Array[] = [];
  const initializers: TensorProto[] = [];
  while (file.position < end) {
    const start = file.position;
    const { field, wire } = file.tag();
    if (field === GRAPH_INITIALIZER && wire === WIRE_LEN) {
      const length = file.varint();
      initializers.push(outlineTensor(file, file.position + length, location));
    } else {
      file.skipValue(wire);
      fields.push(file.bytesFrom(start));
    }
  }
  const graph = onnx.GraphProto.decode(concat(fields));
  graph.initializer = initializers;
  return graph;
}

function outlineTensor(file: FileReader, end: number, location: string): TensorProto {
  const fields: Uint8Array[] = [];
  let external: { offset: number; length: number } | undefined;
  while (file.position < end) {
    const start = file.position;
    const { field, wire } = file.tag();
    if (field === TENSOR_RAW_DATA && wire === WIRE_LEN) {
      const length = file.varint();
      if (length > INLINE_LIMIT) {
        external = { offset: file.position, length };
        file.seek(file.position + length);
        continue;
      }
      file.seek(file.position + length);
    } else {
      file.skipValue(wire);
    }
    fields.push(file.bytesFrom(start));
  }
  const t = onnx.TensorProto.decode(concat(fields));
  if (external) {
    t.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
    t.externalData = [
      { key: "location", value: location },
      { key: "offset", value: String(external.offset) },
      { key: "length", value: String(external.length) },
    ];
  }
  return t;
}

/** Sequential reads over a file through a small window; seeking forward past bytes never reads them. */
class FileReader {
  position = 0;
  private readonly fd: number;
  private readonly size: number;
  private window = new Uint8Array(0);
  /** File offset of window[0]. */
  private windowStart = 0;

  constructor(path: string) {
    this.fd = openSync(path, "r");
    this.size = fstatSync(this.fd).size;
  }

  atEnd(): boolean {
    return this.position >= this.size;
  }

  seek(position: number): void {
    if (position > this.size) throw new Error(`ONNX file truncated: a field ends at ${position}, past the file's ${this.size} bytes`);
    this.position = position;
  }

  tag(): { field: number; wire: number } {
    const key = this.varint();
    return { field: Math.floor(key / 8), wire: key % 8 };
  }

  varint(): number {
    let value = 0;
    for (let shift = 0; shift < 64; shift += 7) {
      const b = this.byte();
      value += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return value;
    }
    throw new Error(`malformed varint in ONNX file at ${this.position}`);
  }

  skipValue(wire: number): void {
    switch (wire) {
      case WIRE_VARINT:
        this.varint();
        return;
      case WIRE_FIXED64:
        return this.seek(this.position + 8);
      case WIRE_LEN: {
        const length = this.varint();
        return this.seek(this.position + length);
      }
      case WIRE_FIXED32:
        return this.seek(this.position + 4);
      default:
        throw new Error(`unsupported protobuf wire type ${wire} in ONNX file at ${this.position}`);
    }
  }

  /** A copy of the file's bytes from `start` to the current position. */
  bytesFrom(start: number): Uint8Array {
    const out = new Uint8Array(this.position - start);
    let done = 0;
    while (done < out.length) {
      const n = readSync(this.fd, out, done, out.length - done, start + done);
      if (n === 0) throw new Error("ONNX file ended early");
      done += n;
    }
    return out;
  }

  close(): void {
    closeSync(this.fd);
  }

  private byte(): number {
    const i = this.position - this.windowStart;
    if (i < 0 || i >= this.window.length) {
      if (this.position >= this.size) throw new Error("ONNX file ended inside a field");
      this.window = new Uint8Array(Math.min(WINDOW, this.size - this.position));
      const n = readSync(this.fd, this.window, 0, this.window.length, this.position);
      this.window = this.window.subarray(0, n);
      this.windowStart = this.position;
    }
    const b = this.window[this.position - this.windowStart]!;
    this.position++;
    return b;
  }
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
