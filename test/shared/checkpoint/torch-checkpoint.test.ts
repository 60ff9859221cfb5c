import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CheckpointError, type CheckpointErrorCode } from "../../../shared/checkpoint/checkpoint-error.ts";
import { SafetensorsFile } from "../../../shared/checkpoint/safetensors.ts";
import { TorchCheckpoint } from "../../../shared/checkpoint/torch-checkpoint.ts";
import { bf16ArrayToFloat32, float32ToBf16Array, float32ToHalfArray, halfArrayToFloat32 } from "../../../shared/tensor/float16.ts";
import { buildTorchZip, buildZip, bytesOf, PickleWriter, seededRandom, stateDictPickle, type StateTree, type TensorSpec } from "./build-torch-zip.ts";

const GOLDEN = "test/fixtures/golden";
const ADAPTER = `${GOLDEN}/adapter/ip-adapter.bin`;
const dir = mkdtempSync(join(tmpdir(), "torch-ckpt-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function caught(fn: () => unknown): CheckpointError | { code: "no error" | "not a CheckpointError"; message: string } {
  try {
    fn();
    return { code: "no error", message: "" };
  } catch (err) {
    return err instanceof CheckpointError ? err : { code: "not a CheckpointError", message: String(err) };
  }
}
const codeOf = (fn: () => unknown): CheckpointErrorCode | "no error" | "not a CheckpointError" => caught(fn).code;

describe("TorchCheckpoint on the golden ip-adapter.bin", () => {
  const ckpt = TorchCheckpoint.open(ADAPTER);
  afterAll(() => ckpt.close());

  it("image_proj.* is exactly the resampler case's model.safetensors: same names, dtypes, shapes and bits", () => {
    const resampler = SafetensorsFile.open(`${GOLDEN}/resampler/model.safetensors`);
    const projNames = ckpt.names().filter((n) => n.startsWith("image_proj."));
    expect(projNames.map((n) => n.slice("image_proj.".length)).sort()).toEqual(resampler.names().sort());
    for (const name of projNames) {
      const ours = ckpt.read(name);
      const theirs = resampler.read(name.slice("image_proj.".length));
      expect(ours.dtype, name).toBe(theirs.dtype);
      expect(ours.shape, name).toEqual(theirs.shape);
      expect(ckpt.info(name)!.shape, name).toEqual(theirs.shape);
      if (Buffer.compare(bytesOf(ours.data), bytesOf(theirs.data)) !== 0) expect.fail(`${name} differs from the resampler's weights`);
    }
    resampler.close();
  });

  it("ip_adapter.* is exactly N.to_k_ip.weight / N.to_v_ip.weight for every cross-attention processor N, shaped [inner dim, cross_attention_dim]", () => {
    const config = JSON.parse(readFileSync(`${GOLDEN}/unet/config.json`, "utf8")) as UnetConfig;
    const unet = SafetensorsFile.open(`${GOLDEN}/unet/model.safetensors`);
    const processors = attnProcessors(config);
    const expected = new Map<string, number[]>();
    processors.forEach((p, n) => {
      if (n % 2 === 0) return; // attn1 (self-attention) has no IP weights
      // The UNet's own attn2 at that position: proves the enumeration names real modules of the right width.
      expect(unet.info(`${p.module}.to_k.weight`)?.shape, p.module).toEqual([p.channels, config.cross_attention_dim]);
      for (const w of ["to_k_ip", "to_v_ip"]) expected.set(`ip_adapter.${n}.${w}.weight`, [p.channels, config.cross_attention_dim]);
    });
    unet.close();
    const ipNames = ckpt.names().filter((n) => n.startsWith("ip_adapter."));
    expect(ipNames.sort()).toEqual([...expected.keys()].sort());
    for (const name of ipNames) {
      expect(ckpt.info(name)!.shape, name).toEqual(expected.get(name));
      const t = ckpt.readFloat32(name);
      expect(t.shape).toEqual(expected.get(name));
      expect(t.data.every(Number.isFinite), name).toBe(true);
    }
    expect(ckpt.names().every((n) => n.startsWith("image_proj.") || n.startsWith("ip_adapter."))).toBe(true);
  });

  it("a missing tensor is reported by its name", () => {
    const err = caught(() => ckpt.read("ip_adapter.2.to_k_ip.weight"));
    expect(err).toBeInstanceOf(CheckpointError);
    expect(err.code).toBe("missing_tensor");
    expect((err as CheckpointError).tensor).toBe("ip_adapter.2.to_k_ip.weight");
    expect(err.message).toContain("ip_adapter.2.to_k_ip.weight");
    expect(err.message).toContain("ip-adapter.bin");
    expect(ckpt.info("ip_adapter.2.to_k_ip.weight")).toBeUndefined();
  });
});

interface UnetConfig {
  down_block_types: string[];
  up_block_types: string[];
  mid_block_type: string | null;
  block_out_channels: number[];
  layers_per_block: number | number[];
  transformer_layers_per_block: number | number[];
  reverse_transformer_layers_per_block: number[] | null;
  cross_attention_dim: number;
}

/**
 * diffusers' unet.attn_processors order (SDXL_ANATOMY.md): module registration order, i.e. every
 * down block, then every up block, then the mid block; attn1 then attn2 of each transformer block.
 */
function attnProcessors(c: UnetConfig): { module: string; channels: number }[] {
  const levels = c.block_out_channels.length;
  const perLevel = (v: number | number[]) => (typeof v === "number" ? new Array<number>(levels).fill(v) : v);
  const layers = perLevel(c.layers_per_block);
  const depth = perLevel(c.transformer_layers_per_block);
  const upDepth = c.reverse_transformer_layers_per_block ?? [...depth].reverse();
  const upChannels = [...c.block_out_channels].reverse();
  const upLayers = [...layers].reverse();
  const out: { module: string; channels: number }[] = [];
  const block = (prefix: string, attentions: number, blocks: number, channels: number) => {
    for (let a = 0; a < attentions; a++)
      for (let b = 0; b < blocks; b++)
        for (const attn of ["attn1", "attn2"]) out.push({ module: `${prefix}.attentions.${a}.transformer_blocks.${b}.${attn}`, channels });
  };
  c.down_block_types.forEach((t, i) => t.startsWith("CrossAttn") && block(`down_blocks.${i}`, layers[i]!, depth[i]!, c.block_out_channels[i]!));
  c.up_block_types.forEach((t, i) => t.startsWith("CrossAttn") && block(`up_blocks.${i}`, upLayers[i]! + 1, upDepth[i]!, upChannels[i]!));
  if (c.mid_block_type === "UNetMidBlock2DCrossAttn") block("mid_block", 1, depth[levels - 1]!, c.block_out_channels[levels - 1]!);
  return out;
}

// ---- hand-built checkpoints: every dtype, strided views, parameters, nesting ----

const floats = Float32Array.from({ length: 12 }, (_, i) => i * 1.5 - 4);
const halfSource = Float32Array.from([0.1, -2, 65504, 6e-8, -0, 3.14159]);
const bf16Source = Float32Array.from([1e30, -1e-30, 0.3, 7]);
const storages: Record<string, Uint8Array> = {
  "0": bytesOf(floats),
  "1": bytesOf(float32ToHalfArray(halfSource)),
  "2": bytesOf(float32ToBf16Array(bf16Source)),
  "3": bytesOf(BigInt64Array.of(-(2n ** 62n), 5n, 2n ** 40n)),
  "4": bytesOf(Int32Array.of(10, -20, 30, -40, 50)),
};
const f = (offset: number, shape: number[], stride: number[], extra: Partial<TensorSpec> = {}): TensorSpec => ({
  storageType: "FloatStorage",
  key: "0",
  numel: 12,
  offset,
  shape,
  stride,
  ...extra,
});
const tree: StateTree = {
  model: {
    dense: f(0, [3, 4], [4, 1]),
    transposed: f(0, [4, 3], [1, 4]),
    row: f(4, [4], [1]),
    strided: f(1, [2, 2], [6, 2]),
    expanded: f(2, [3, 2], [0, 1]),
    scalar: f(11, [], []),
    empty: f(0, [0, 4], [4, 1]),
    layer: { "0": { weight: f(0, [2, 6], [6, 1], { parameter: true }) } },
  },
  half: { storageType: "HalfStorage", key: "1", numel: 6, offset: 0, shape: [2, 3], stride: [3, 1] },
  bf: { storageType: "BFloat16Storage", key: "2", numel: 4, offset: 0, shape: [4], stride: [1] },
  ids: { storageType: "LongStorage", key: "3", numel: 3, offset: 0, shape: [3], stride: [1] },
  counts: { storageType: "IntStorage", key: "4", numel: 5, offset: 1, shape: [2], stride: [2] },
};

/** The elements a strided view selects, in row-major order: computed index by index. */
function select<T>(source: ArrayLike<T>, offset: number, shape: number[], stride: number[]): T[] {
  const out: T[] = [];
  const visit = (d: number, at: number) => {
    if (d === shape.length) out.push(source[at]!);
    else for (let i = 0; i < shape[d]!; i++) visit(d + 1, at + i * stride[d]!);
  };
  visit(0, offset);
  return out;
}

describe("TorchCheckpoint on hand-built torch.save zips", () => {
  const variants = [
    { label: "stored records", options: {} },
    { label: "deflated records, another archive name, byteorder record", options: { deflate: true, archive: "my_model", byteorder: "little" } },
    { label: "a zip64 directory", options: { zip64: true } },
  ];
  for (const { label, options } of variants) {
    it(`flattens nested dicts with dots and honours offsets and strides (${label})`, () => {
      const ckpt = TorchCheckpoint.fromBytes(buildTorchZip(stateDictPickle(tree), storages, options));
      expect(ckpt.names()).toEqual([
        "model.dense",
        "model.transposed",
        "model.row",
        "model.strided",
        "model.expanded",
        "model.scalar",
        "model.empty",
        "model.layer.0.weight",
        "half",
        "bf",
        "ids",
        "counts",
      ]);
      for (const name of ["dense", "transposed", "row", "strided", "expanded", "scalar", "empty"]) {
        const spec = (tree.model as StateTree)[name] as TensorSpec;
        const t = ckpt.read(`model.${name}`);
        expect(t.dtype).toBe("float32");
        expect(t.shape, name).toEqual(spec.shape);
        expect([...(t.data as Float32Array)], name).toEqual(select(floats, spec.offset, spec.shape, spec.stride));
      }
      expect([...ckpt.readFloat32("model.layer.0.weight").data]).toEqual([...floats]);
      const half = ckpt.read("half");
      expect(half.dtype).toBe("float16");
      expect(ckpt.readFloat32("half").data).toEqual(halfArrayToFloat32(float32ToHalfArray(halfSource)));
      expect(ckpt.info("bf")).toEqual({ name: "bf", dtype: "bfloat16", shape: [4] });
      expect(ckpt.readFloat32("bf").data).toEqual(bf16ArrayToFloat32(float32ToBf16Array(bf16Source)));
      expect(ckpt.read("ids")).toEqual({ dtype: "int64", shape: [3], data: BigInt64Array.of(-(2n ** 62n), 5n, 2n ** 40n) });
      expect([...(ckpt.read("counts").data as Int32Array)]).toEqual([-20, -40]);
      ckpt.close();
    });
  }

  it("reads storages lazily: a corrupt record fails only the tensors that use it, when they are read", () => {
    const bytes = buildTorchZip(stateDictPickle(tree), storages);
    const recordStart = findBytes(bytes, storages["3"]!);
    bytes[recordStart + 1] ^= 0xff;
    const ckpt = TorchCheckpoint.fromBytes(bytes);
    expect(ckpt.readFloat32("model.dense").data.length).toBe(12);
    expect(ckpt.readFloat32("counts").data.length).toBe(2);
    expect(codeOf(() => ckpt.read("ids"))).toBe("malformed"); // its whole record is read, so its CRC is checked
  });
});

function findBytes(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.byteLength <= haystack.byteLength; i++) {
    for (let j = 0; j < needle.byteLength; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  throw new Error("needle not found");
}

describe("TorchCheckpoint errors", () => {
  const good = readFileSync(ADAPTER);

  it("a .bin cut short is truncated, on disk and in memory", () => {
    const path = join(dir, "cut.bin");
    writeFileSync(path, good.subarray(0, good.byteLength >> 1));
    expect(codeOf(() => TorchCheckpoint.open(path))).toBe("truncated");
    expect(codeOf(() => TorchCheckpoint.fromBytes(good.subarray(0, good.byteLength - 1)))).toBe("truncated");
  });

  it("a zip that is not a torch checkpoint is malformed", () => {
    const zip = buildZip([{ name: "docs/readme.txt", data: new TextEncoder().encode("hello") }]);
    const err = caught(() => TorchCheckpoint.fromBytes(zip));
    expect(err.code).toBe("malformed");
    expect(err.message).toContain("data.pkl");
  });

  it("a data.pkl naming a forbidden global is unsupported_pickle, naming it, and nothing is run", () => {
    // Hand-written: {'w': os.system('echo pwned')} as protocol-2 bytes.
    const enc = (s: string) => [...new TextEncoder().encode(s)];
    const evil = Uint8Array.from([0x80, 2, 0x7d, 0x58, 1, 0, 0, 0, ...enc("w"), 0x63, ...enc("os\nsystem\n"), 0x58, 10, 0, 0, 0, ...enc("echo pwned"), 0x85, 0x52, 0x73, 0x2e]);
    const err = caught(() => TorchCheckpoint.fromBytes(buildTorchZip(evil, {})));
    expect(err.code).toBe("unsupported_pickle");
    expect(err.message).toContain("os.system");
    // A torch-looking global outside the whitelist too.
    const sneaky = new PickleWriter().proto().emptyDict().str("m").global("torch.nn.modules.linear", "Linear").emptyTuple().newobj().setitem().stop();
    const err2 = caught(() => TorchCheckpoint.fromBytes(buildTorchZip(sneaky.bytes(), {})));
    expect(err2.code).toBe("unsupported_pickle");
    expect(err2.message).toContain("torch.nn.modules.linear.Linear");
  });

  it("a data.pkl cut short is truncated", () => {
    const pickle = stateDictPickle(tree);
    for (const keep of [1, 10, pickle.byteLength >> 1, pickle.byteLength - 1]) {
      expect(codeOf(() => TorchCheckpoint.fromBytes(buildTorchZip(pickle.subarray(0, keep), storages)))).toBe("truncated");
    }
  });

  it("a storage record that is missing is malformed, and one too short for its elements is truncated", () => {
    const { "4": _, ...withoutCounts } = storages;
    const missing = caught(() => TorchCheckpoint.fromBytes(buildTorchZip(stateDictPickle(tree), withoutCounts)));
    expect(missing.code).toBe("malformed");
    expect((missing as CheckpointError).tensor).toBe("counts");
    const short = caught(() => TorchCheckpoint.fromBytes(buildTorchZip(stateDictPickle(tree), { ...storages, "4": storages["4"]!.subarray(0, 12) })));
    expect(short.code).toBe("truncated");
  });

  it("a view that reaches past its storage is malformed", () => {
    const err = caught(() => TorchCheckpoint.fromBytes(buildTorchZip(stateDictPickle({ w: f(6, [2, 4], [4, 1]) }), storages)));
    expect(err.code).toBe("malformed");
    expect((err as CheckpointError).tensor).toBe("w");
  });

  it("a storage dtype our tensors cannot hold (float64) is unsupported_dtype, naming the tensor", () => {
    const spec: TensorSpec = { storageType: "DoubleStorage", key: "0", numel: 6, offset: 0, shape: [6], stride: [1] };
    const err = caught(() => TorchCheckpoint.fromBytes(buildTorchZip(stateDictPickle({ "x.y": spec }), storages)));
    expect(err.code).toBe("unsupported_dtype");
    expect((err as CheckpointError).tensor).toBe("x.y");
  });

  it("a big-endian checkpoint, or a pickle that is not a dict, is malformed", () => {
    expect(codeOf(() => TorchCheckpoint.fromBytes(buildTorchZip(stateDictPickle(tree), storages, { byteorder: "big" })))).toBe("malformed");
    const list = new PickleWriter().proto().emptyList().stop().bytes();
    expect(codeOf(() => TorchCheckpoint.fromBytes(buildTorchZip(list, {})))).toBe("malformed");
  });

  it("a dict that contains itself is malformed, not an endless walk", () => {
    const loop = new PickleWriter().proto().emptyDict().put(0).str("self").get(0).setitem().stop().bytes();
    expect(codeOf(() => TorchCheckpoint.fromBytes(buildTorchZip(loop, {})))).toBe("malformed");
  });

  it("random corruption of the real .bin gives a CheckpointError or readable tensors, never another failure", () => {
    const rnd = seededRandom(17);
    // Bias the hits toward the pickle (the first ~9 KB) and the directory (the last ~4 KB), where structure lives.
    const spots = () => (rnd() < 0.5 ? Math.floor(rnd() * 9000) : good.byteLength - 1 - Math.floor(rnd() * 4300));
    for (let i = 0; i < 150; i++) {
      const bytes = Uint8Array.from(good);
      for (let k = 0; k < 3; k++) bytes[spots()] = Math.floor(rnd() * 256);
      const outcome = codeOf(() => {
        const ckpt = TorchCheckpoint.fromBytes(bytes);
        for (const name of ckpt.names()) ckpt.readFloat32(name);
      });
      expect(outcome).not.toBe("not a CheckpointError");
    }
  });
});
