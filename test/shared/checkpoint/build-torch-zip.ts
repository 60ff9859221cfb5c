/**
 * Test-only writers for the formats the checkpoint readers parse: pickle opcodes, zip archives
 * (stored/deflated, optionally zip64) and torch.save-shaped checkpoints built from them, so tests
 * can make well-formed and deliberately broken inputs without Python or torch.
 */
import { crc32, deflateRawSync } from "node:zlib";

export class PickleWriter {
  private readonly out: number[] = [];

  raw(...bytes: number[]): this {
    this.out.push(...bytes);
    return this;
  }
  private le(value: number, size: number): this {
    for (let i = 0; i < size; i++) this.out.push(Math.floor(value / 2 ** (8 * i)) & 0xff);
    return this;
  }
  private utf8(s: string): number[] {
    return [...new TextEncoder().encode(s)];
  }

  proto(v = 2): this {
    return this.raw(0x80, v);
  }
  frame(length: number): this {
    return this.raw(0x95).le(length, 8);
  }
  mark(): this {
    return this.raw(0x28);
  }
  stop(): this {
    return this.raw(0x2e);
  }
  emptyDict(): this {
    return this.raw(0x7d);
  }
  emptyList(): this {
    return this.raw(0x5d);
  }
  emptyTuple(): this {
    return this.raw(0x29);
  }
  none(): this {
    return this.raw(0x4e);
  }
  bool(b: boolean): this {
    return this.raw(b ? 0x88 : 0x89);
  }
  /** The smallest opcode torch's pickler would use: BININT1, BININT2, BININT or LONG1. */
  int(n: number | bigint): this {
    const v = BigInt(n);
    if (v >= 0n && v < 256n) return this.raw(0x4b, Number(v));
    if (v >= 0n && v < 65536n) return this.raw(0x4d).le(Number(v), 2);
    if (v >= -(2n ** 31n) && v < 2n ** 31n) return this.raw(0x4a).le(Number(BigInt.asUintN(32, v)), 4);
    const bytes: number[] = [];
    let rest = v;
    do {
      bytes.push(Number(BigInt.asUintN(8, rest)));
      rest >>= 8n;
    } while (!((rest === 0n && !(bytes[bytes.length - 1]! & 0x80)) || (rest === -1n && bytes[bytes.length - 1]! & 0x80)));
    return this.raw(0x8a, bytes.length, ...bytes);
  }
  float(x: number): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, x, false);
    return this.raw(0x47, ...b);
  }
  str(s: string): this {
    const b = this.utf8(s);
    return this.raw(0x58).le(b.length, 4).raw(...b);
  }
  shortStr(s: string): this {
    const b = this.utf8(s);
    return this.raw(0x8c, b.length, ...b);
  }
  global(module: string, name: string): this {
    return this.raw(0x63, ...this.utf8(`${module}\n${name}\n`));
  }
  stackGlobal(): this {
    return this.raw(0x93);
  }
  /** TUPLE1-3 for 1-3 items, else TUPLE from the last MARK. */
  tuple(n?: 1 | 2 | 3): this {
    return this.raw(n === undefined ? 0x74 : 0x84 + n);
  }
  reduce(): this {
    return this.raw(0x52);
  }
  newobj(): this {
    return this.raw(0x81);
  }
  build(): this {
    return this.raw(0x62);
  }
  setitem(): this {
    return this.raw(0x73);
  }
  setitems(): this {
    return this.raw(0x75);
  }
  append(): this {
    return this.raw(0x61);
  }
  appends(): this {
    return this.raw(0x65);
  }
  binpersid(): this {
    return this.raw(0x51);
  }
  put(i: number): this {
    return i < 256 ? this.raw(0x71, i) : this.raw(0x72).le(i, 4);
  }
  get(i: number): this {
    return i < 256 ? this.raw(0x68, i) : this.raw(0x6a).le(i, 4);
  }
  memoize(): this {
    return this.raw(0x94);
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.out);
  }
}

export interface TensorSpec {
  /** torch storage class name: FloatStorage, HalfStorage, ... */
  storageType: string;
  key: string;
  /** Elements in the storage. */
  numel: number;
  offset: number;
  shape: number[];
  stride: number[];
  /** Pickled as an nn.Parameter (torch._utils._rebuild_parameter) rather than a bare tensor. */
  parameter?: boolean;
}
export interface StateTree {
  [key: string]: StateTree | TensorSpec;
}

function isSpec(v: StateTree | TensorSpec): v is TensorSpec {
  return typeof (v as TensorSpec).storageType === "string";
}

function intTuple(w: PickleWriter, values: number[]): void {
  if (values.length === 0) w.emptyTuple();
  else if (values.length <= 3) {
    for (const v of values) w.int(v);
    w.tuple(values.length as 1 | 2 | 3);
  } else {
    w.mark();
    for (const v of values) w.int(v);
    w.tuple();
  }
}

function writeTensor(w: PickleWriter, t: TensorSpec): void {
  if (t.parameter) w.global("torch._utils", "_rebuild_parameter");
  w.global("torch._utils", "_rebuild_tensor_v2");
  w.mark();
  w.mark().str("storage").global("torch", t.storageType).str(t.key).str("cpu").int(t.numel).tuple().binpersid();
  w.int(t.offset);
  intTuple(w, t.shape);
  intTuple(w, t.stride);
  w.bool(false);
  w.global("collections", "OrderedDict").emptyTuple().reduce();
  w.tuple().reduce();
  if (t.parameter) {
    w.bool(true).global("collections", "OrderedDict").emptyTuple().reduce().tuple(3).reduce();
  }
}

function writeTree(w: PickleWriter, tree: StateTree): void {
  // As torch does for a state dict: OrderedDict(), SETITEMS, then BUILD with its `_metadata` attribute.
  w.global("collections", "OrderedDict").emptyTuple().reduce();
  w.mark();
  for (const [k, v] of Object.entries(tree)) {
    w.str(k);
    if (isSpec(v)) writeTensor(w, v);
    else writeTree(w, v);
  }
  w.setitems();
  w.emptyDict().str("_metadata").global("collections", "OrderedDict").emptyTuple().reduce().setitem().build();
}

/** data.pkl for a (nested) state dict, shaped the way torch.save writes one. */
export function stateDictPickle(tree: StateTree): Uint8Array {
  const w = new PickleWriter().proto(2);
  writeTree(w, tree);
  return w.stop().bytes();
}

export interface ZipInput {
  name: string;
  data: Uint8Array;
  deflate?: boolean;
}

/** A zip archive; with zip64, sizes and offsets live in zip64 extra fields and records, as writers do past 4 GB. */
export function buildZip(inputs: ZipInput[], options: { zip64?: boolean } = {}): Uint8Array {
  const chunks: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  const push = (b: Uint8Array) => {
    chunks.push(b);
    offset += b.byteLength;
  };
  for (const input of inputs) {
    const name = new TextEncoder().encode(input.name);
    const body = input.deflate ? new Uint8Array(deflateRawSync(input.data)) : input.data;
    const crc = crc32(input.data);
    const local = new Uint8Array(30 + name.byteLength);
    const l = new DataView(local.buffer);
    l.setUint32(0, 0x04034b50, true);
    l.setUint16(4, 20, true);
    l.setUint16(8, input.deflate ? 8 : 0, true);
    l.setUint32(14, crc, true);
    l.setUint32(18, body.byteLength, true);
    l.setUint32(22, input.data.byteLength, true);
    l.setUint16(26, name.byteLength, true);
    local.set(name, 30);
    const localOffset = offset;
    push(local);
    push(body);

    const extraLen = options.zip64 ? 4 + 24 : 0;
    const c = new Uint8Array(46 + name.byteLength + extraLen);
    const d = new DataView(c.buffer);
    d.setUint32(0, 0x02014b50, true);
    d.setUint16(4, 45, true);
    d.setUint16(6, 45, true);
    d.setUint16(10, input.deflate ? 8 : 0, true);
    d.setUint32(16, crc, true);
    d.setUint32(20, options.zip64 ? 0xffffffff : body.byteLength, true);
    d.setUint32(24, options.zip64 ? 0xffffffff : input.data.byteLength, true);
    d.setUint16(28, name.byteLength, true);
    d.setUint16(30, extraLen, true);
    d.setUint32(42, options.zip64 ? 0xffffffff : localOffset, true);
    c.set(name, 46);
    if (options.zip64) {
      const x = 46 + name.byteLength;
      d.setUint16(x, 0x0001, true);
      d.setUint16(x + 2, 24, true);
      d.setBigUint64(x + 4, BigInt(input.data.byteLength), true);
      d.setBigUint64(x + 12, BigInt(body.byteLength), true);
      d.setBigUint64(x + 20, BigInt(localOffset), true);
    }
    central.push(c);
  }
  const cdOffset = offset;
  for (const c of central) push(c);
  const cdSize = offset - cdOffset;
  if (options.zip64) {
    const recordOffset = offset;
    const record = new Uint8Array(56);
    const r = new DataView(record.buffer);
    r.setUint32(0, 0x06064b50, true);
    r.setBigUint64(4, 44n, true);
    r.setUint16(12, 45, true);
    r.setUint16(14, 45, true);
    r.setBigUint64(24, BigInt(inputs.length), true);
    r.setBigUint64(32, BigInt(inputs.length), true);
    r.setBigUint64(40, BigInt(cdSize), true);
    r.setBigUint64(48, BigInt(cdOffset), true);
    push(record);
    const locator = new Uint8Array(20);
    const lc = new DataView(locator.buffer);
    lc.setUint32(0, 0x07064b50, true);
    lc.setBigUint64(8, BigInt(recordOffset), true);
    lc.setUint32(16, 1, true);
    push(locator);
  }
  const eocd = new Uint8Array(22);
  const e = new DataView(eocd.buffer);
  e.setUint32(0, 0x06054b50, true);
  e.setUint16(8, options.zip64 ? 0xffff : inputs.length, true);
  e.setUint16(10, options.zip64 ? 0xffff : inputs.length, true);
  e.setUint32(12, options.zip64 ? 0xffffffff : cdSize, true);
  e.setUint32(16, options.zip64 ? 0xffffffff : cdOffset, true);
  push(eocd);

  const out = new Uint8Array(offset);
  let at = 0;
  for (const ch of chunks) {
    out.set(ch, at);
    at += ch.byteLength;
  }
  return out;
}

export interface TorchZipOptions {
  archive?: string;
  byteorder?: string;
  /** Deflate the storage records (torch stores them; other zip tools may not). */
  deflate?: boolean;
  zip64?: boolean;
}

/** A torch.save zip: `<archive>/data.pkl`, `<archive>/data/<key>` records, version, byteorder. */
export function buildTorchZip(pickle: Uint8Array, storages: Record<string, Uint8Array>, options: TorchZipOptions = {}): Uint8Array {
  const archive = options.archive ?? "archive";
  const entries: ZipInput[] = [{ name: `${archive}/data.pkl`, data: pickle }];
  if (options.byteorder) entries.push({ name: `${archive}/byteorder`, data: new TextEncoder().encode(options.byteorder) });
  for (const [key, data] of Object.entries(storages)) entries.push({ name: `${archive}/data/${key}`, data, deflate: options.deflate });
  entries.push({ name: `${archive}/version`, data: new TextEncoder().encode("3\n") });
  return buildZip(entries, { zip64: options.zip64 });
}

/** A deterministic PRNG (mulberry32) so "random" test data is the same on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function bytesOf(data: ArrayBufferView): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
