import type { DType } from "../tensor/tensor.ts";
import { CheckpointError } from "./checkpoint-error.ts";
import { isTuple, PickleGlobal, unpickle } from "./pickle.ts";

/**
 * What the data.pkl of a torch.save zip means: which Python globals a state dict may name (the
 * whitelist), how a storage is referenced (persistent ids), and how a tensor is a view of one.
 * The result is a tree of dicts whose leaves are TensorViews; no tensor data is read here.
 */

/** torch.<Name>Storage -> dtype; undefined where our Tensor has no such dtype. */
const STORAGE_DTYPES: Record<string, DType | undefined> = {
  FloatStorage: "float32",
  HalfStorage: "float16",
  BFloat16Storage: "bfloat16",
  LongStorage: "int64",
  IntStorage: "int32",
  ByteStorage: "uint8",
  BoolStorage: "bool",
  DoubleStorage: undefined,
  ShortStorage: undefined,
  CharStorage: undefined,
};

/** A storage class global (torch.FloatStorage...): passed in persistent ids, never called. */
export class StorageType extends PickleGlobal {
  constructor(
    name: string,
    readonly dtype: DType | undefined,
  ) {
    super("torch", name);
  }
}

/** One `data/<key>` record of the archive, as a persistent id names it. */
export interface StorageRef {
  readonly key: string;
  readonly type: StorageType;
  /** Number of elements of the storage's dtype. */
  readonly numel: number;
}

/** A tensor as torch pickles it: a strided view into a storage. */
export interface TensorView {
  readonly storage: StorageRef;
  /** In elements. */
  readonly offset: number;
  readonly shape: readonly number[];
  /** In elements, one per dimension. */
  readonly stride: readonly number[];
}

export function isTensorView(v: unknown): v is TensorView {
  return typeof v === "object" && v !== null && "storage" in v && "stride" in v;
}

function nonNegativeInt(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

function intTuple(v: unknown, what: string, file: string | undefined): number[] {
  if (!Array.isArray(v) || !v.every(nonNegativeInt)) throw new CheckpointError("malformed", `tensor ${what} is not a tuple of non-negative integers`, file);
  return [...v] as number[];
}

function rebuildTensor(args: readonly unknown[], file: string | undefined): TensorView {
  const [storage, offset, size, stride] = args;
  if (!storage || typeof storage !== "object" || !("key" in storage)) throw new CheckpointError("malformed", "tensor rebuilt from something that is not a storage", file);
  if (!nonNegativeInt(offset)) throw new CheckpointError("malformed", "tensor storage offset is not a non-negative integer", file);
  const shape = intTuple(size, "size", file);
  const strides = intTuple(stride, "stride", file);
  if (strides.length !== shape.length) throw new CheckpointError("malformed", `tensor has ${shape.length} dimensions but ${strides.length} strides`, file);
  return { storage: storage as StorageRef, offset, shape, stride: strides };
}

/** The whitelist. Everything else a pickle names is refused, so loading never runs arbitrary code. */
function whitelist(file: string | undefined): (module: string, name: string) => PickleGlobal | undefined {
  const globals = new Map<string, PickleGlobal>([
    [
      "collections.OrderedDict",
      new PickleGlobal("collections", "OrderedDict", (args) => {
        const d = new Map<unknown, unknown>();
        const pairs = args[0];
        if (Array.isArray(pairs)) for (const p of pairs) if (Array.isArray(p) && p.length === 2) d.set(p[0], p[1]);
        return d;
      }),
    ],
    // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
    ["torch._utils._rebuild_tensor_v2", new PickleGlobal("torch._utils", "_rebuild_tensor_v2", (args) => rebuildTensor(args, file))],
    ["torch._utils._rebuild_tensor", new PickleGlobal("torch._utils", "_rebuild_tensor", (args) => rebuildTensor(args, file))],
    // (data, requires_grad, backward_hooks): a Parameter is its data for our purposes
    [
      "torch._utils._rebuild_parameter",
      new PickleGlobal("torch._utils", "_rebuild_parameter", (args) => {
        if (!isTensorView(args[0])) throw new CheckpointError("malformed", "parameter rebuilt from something that is not a tensor", file);
        return args[0];
      }),
    ],
  ]);
  for (const [name, dtype] of Object.entries(STORAGE_DTYPES)) globals.set(`torch.${name}`, new StorageType(name, dtype));
  return (module, name) => globals.get(`${module}.${name}`);
}

/** ('storage', storage_type, key, location, numel), as torch.save's persistent_id writes it. */
function storageLoader(file: string | undefined): (pid: unknown) => StorageRef {
  const seen = new Map<string, StorageRef>();
  return (pid) => {
    if (!isTuple(pid) || pid.length < 5 || pid[0] !== "storage") throw new CheckpointError("malformed", "persistent id is not a ('storage', ...) tuple", file);
    const [, type, key, , numel] = pid;
    if (!(type instanceof StorageType)) throw new CheckpointError("malformed", "persistent id names no storage type", file);
    if (typeof key !== "string" || !/^[A-Za-z0-9_]+$/.test(key)) throw new CheckpointError("malformed", `storage key ${String(key)} is not a plain name`, file);
    if (!nonNegativeInt(numel)) throw new CheckpointError("malformed", `storage ${key} has no valid element count`, file);
    const before = seen.get(key);
    if (before && (before.type !== type || before.numel !== numel)) throw new CheckpointError("malformed", `storage ${key} is described two different ways`, file);
    const ref = before ?? { key, type, numel };
    seen.set(key, ref);
    return ref;
  };
}

/** Parses data.pkl into its object tree: dicts (Map) with TensorView leaves. */
export function parseTorchPickle(bytes: Uint8Array, file?: string): unknown {
  return unpickle(bytes, { findGlobal: whitelist(file), persistentLoad: storageLoader(file), file });
}

/**
 * Every tensor of a nested state dict, named by its keys joined with dots
 * ({'image_proj': {'latents': t}} -> "image_proj.latents"). Non-tensor leaves are skipped.
 */
export function flattenStateDict(root: unknown, file?: string): Map<string, TensorView> {
  if (!(root instanceof Map)) throw new CheckpointError("malformed", "data.pkl holds no dict: not a state dict checkpoint", file);
  const out = new Map<string, TensorView>();
  const open = new Set<Map<unknown, unknown>>();
  const walk = (d: Map<unknown, unknown>, prefix: string): void => {
    if (open.has(d)) throw new CheckpointError("malformed", `state dict contains itself at "${prefix}"`, file);
    open.add(d);
    for (const [k, v] of d) {
      if (typeof k !== "string" && typeof k !== "number") continue;
      const name = prefix ? `${prefix}.${k}` : String(k);
      if (isTensorView(v)) {
        if (out.has(name)) throw new CheckpointError("malformed", `two tensors are named "${name}"`, file, name);
        out.set(name, v);
      } else if (v instanceof Map) walk(v, name);
    }
    open.delete(d);
  };
  walk(root, "");
  return out;
}
