/**
 * IdentityNet and the UNet as one denoiser graph, plus a "bind" graph run once per generation.
 *
 * Per step, only the latents and the timestep should cross between JS and ORT. Run as two sessions,
 * IdentityNet's residuals (about 200 MB per step at 1024² with CFG) come back to JS and go in again;
 * merged into one graph they never leave ORT. The bind graph computes IdentityNet's conditioning
 * embedding (it depends on the control image only) and passes every per-generation constant through,
 * so on a GPU provider its outputs stay in device memory for every step.
 *
 * The denoiser takes one latent per image and gathers the network rows (CFG's unconditional and
 * conditional) from it itself, so per step JS sends each image's latents once and gets its rows back.
 *
 * Pure graph surgery on the compiled protos: nodes, values and initializers of IdentityNet get an
 * "identitynet/" prefix (both graphs name weights by checkpoint key), the inputs both take
 * (sample, timestep, text_embeds, time_ids) are shared, and IdentityNet's down.N/mid outputs feed
 * the UNet's inputs of the same names. External-data references are kept as they are.
 */
import { onnx, type ModelProto } from "./onnx-model.ts";

/** The value the compiler names IdentityNet's conditioning embedding (controlnet_cond_embedding's output). */
export const CONDITIONING_EMBEDDING = "controlnet_cond_embedding";
/** The denoiser's latents, one row per image; `row_lanes` (int64) picks each network row's image, so CFG's two rows of an image cross once. */
export const LANE_SAMPLE = "lane_sample";
export const ROW_LANES = "row_lanes";
/** Inputs that change every step; everything else the denoiser takes is bound once per generation. */
export const STEP_INPUTS = [LANE_SAMPLE, "timestep"] as const;

const PREFIX = "identitynet/";
const SHARED = new Set(["sample", "timestep", "text_embeds", "time_ids"]);
const KEEP = new Set(["controlnet_cond", "conditioning_scale", CONDITIONING_EMBEDDING]);

type NodeProto = import("onnx-proto").onnx.INodeProto;
type ValueInfo = import("onnx-proto").onnx.IValueInfoProto;
type TensorProto = import("onnx-proto").onnx.ITensorProto;

export interface DenoiserGraphs {
  /** Per-generation constants -> "bound:<input>" outputs (the conditioning embedding among them when split). */
  bind: ModelProto;
  /** sample, timestep and every bound constant -> noise_pred. */
  denoiser: ModelProto;
  /** The denoiser's inputs the bind graph produces, and the bind graph's input each comes from. */
  bound: { input: string; bindOutput: string; from: string }[];
  /** Whether the conditioning embedding was cut out of the per-step graph. */
  split: boolean;
}

/** Output name in the bind graph for denoiser input `name`. */
export const boundName = (name: string) => `bound:${name}`;

export function buildDenoiserGraphs(controlnet: ModelProto, unet: ModelProto): DenoiserGraphs {
  const c = controlnet.graph!;
  const u = unet.graph!;
  const cOutputs = new Set((c.output ?? []).map((o) => o.name!));
  const rename = (v: string) => (v === "" || SHARED.has(v) || KEEP.has(v) || cOutputs.has(v) ? v : `${PREFIX}${v}`);
  const cNodes: NodeProto[] = (c.node ?? []).map((n) => ({
    ...n,
    name: `${PREFIX}${n.name ?? ""}`,
    input: (n.input ?? []).map(rename),
    output: (n.output ?? []).map(rename),
  }));
  const cInits: TensorProto[] = (c.initializer ?? []).map((t) => ({ ...t, name: rename(t.name!) }));
  const cInputs: ValueInfo[] = (c.input ?? []).map((i) => renameDims({ ...i, name: rename(i.name!) }, { tokens: "face_tokens", batch: SHARED.has(i.name!) ? "batch" : "cond_batch" }));

  const split = cNodes.some((n) => n.output?.includes(CONDITIONING_EMBEDDING));
  // IdentityNet's nodes the residuals need, the embedding taken as given when split
  const mainNodes = needed(cNodes, [...cOutputs], split ? new Set([CONDITIONING_EMBEDDING]) : new Set());
  const hintNodes = split ? needed(cNodes, [CONDITIONING_EMBEDDING], new Set()) : [];

  const unetInputs = (u.input ?? []).filter((i) => !cOutputs.has(i.name!));
  const sampleInfo = unetInputs.find((i) => i.name === "sample");
  if (!sampleInfo) throw new Error("the UNet graph has no sample input");
  const gather: NodeProto = { opType: "Gather", name: "denoiser/rows", input: [LANE_SAMPLE, ROW_LANES], output: ["sample"], attribute: [{ name: "axis", type: onnx.AttributeProto.AttributeType.INT, i: 0 }] };
  const denoiserNodes = [gather, ...mainNodes, ...(u.node ?? [])];
  const consumed = new Set(denoiserNodes.flatMap((n) => n.input ?? []));
  const inputs: ValueInfo[] = [
    renameDims({ ...sampleInfo, name: LANE_SAMPLE }, { batch: "lanes" }),
    { name: ROW_LANES, type: { tensorType: { elemType: onnx.TensorProto.DataType.INT64, shape: { dim: [{ dimParam: "batch" }] } } } },
    ...unetInputs.filter((i) => i.name !== "sample"),
  ];
  const have = new Set([...inputs.map((i) => i.name!), "sample"]);
  for (const i of cInputs) if (!have.has(i.name!) && consumed.has(i.name!)) (inputs.push(i), have.add(i.name!));
  if (split) inputs.push(hintInfo(c, CONDITIONING_EMBEDDING));

  const denoiser = model(unet, controlnet, "denoiser", denoiserNodes, inputs, u.output ?? [], [...usedInits(cInits, mainNodes), ...(u.initializer ?? [])]);

  // the bind graph: the embedding (when split), then every other constant passed through
  const bound: DenoiserGraphs["bound"] = [];
  const bindNodes: NodeProto[] = [...hintNodes];
  const bindInputs: ValueInfo[] = [];
  const bindOutputs: ValueInfo[] = [];
  if (split) {
    const cond = cInputs.find((i) => i.name === "controlnet_cond")!;
    bindInputs.push(cond);
    bindNodes.push({ opType: "Identity", name: "bind/embedding", input: [CONDITIONING_EMBEDDING], output: [boundName(CONDITIONING_EMBEDDING)] });
    bindOutputs.push({ ...hintInfo(c, CONDITIONING_EMBEDDING), name: boundName(CONDITIONING_EMBEDDING) });
    bound.push({ input: CONDITIONING_EMBEDDING, bindOutput: boundName(CONDITIONING_EMBEDDING), from: "controlnet_cond" });
  }
  for (const i of inputs) {
    if ((STEP_INPUTS as readonly string[]).includes(i.name!) || i.name === CONDITIONING_EMBEDDING) continue;
    bindInputs.push(i);
    bindNodes.push({ opType: "Identity", name: `bind/${i.name}`, input: [i.name!], output: [boundName(i.name!)] });
    bindOutputs.push({ ...i, name: boundName(i.name!) });
    bound.push({ input: i.name!, bindOutput: boundName(i.name!), from: i.name! });
  }
  const bind = model(unet, controlnet, "denoiser_bind", bindNodes, bindInputs, bindOutputs, usedInits(cInits, hintNodes));
  return { bind, denoiser, bound, split };
}

/** The nodes (in their original, topological order) needed to compute `outputs`, stopping at `given`. */
function needed(nodes: NodeProto[], outputs: string[], given: ReadonlySet<string>): NodeProto[] {
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => n.output?.forEach((o) => producer.set(o, i)));
  const keep = new Set<number>();
  const stack = outputs.filter((o) => !given.has(o));
  while (stack.length) {
    const v = stack.pop()!;
    const i = producer.get(v);
    if (i === undefined || keep.has(i)) continue;
    keep.add(i);
    for (const x of nodes[i]!.input ?? []) if (x && !given.has(x)) stack.push(x);
  }
  return nodes.filter((_, i) => keep.has(i));
}

function usedInits(inits: TensorProto[], nodes: NodeProto[]): TensorProto[] {
  const used = new Set(nodes.flatMap((n) => n.input ?? []));
  return inits.filter((t) => used.has(t.name!));
}

/** The embedding's type: the compute type of IdentityNet (its control-image input is cast to it when fp16). */
function hintInfo(c: import("onnx-proto").onnx.IGraphProto, name: string): ValueInfo {
  const cast = (c.node ?? []).find((n) => n.opType === "Cast" && n.input?.[0] === "controlnet_cond");
  const to = cast?.attribute?.find((a) => a.name === "to")?.i;
  const elemType = to !== undefined && to !== null ? Number(to) : onnx.TensorProto.DataType.FLOAT;
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: ["hint_batch", "hint_channels", "height", "width"].map((d) => ({ dimParam: d })) } } },
  };
}

function renameDims(v: ValueInfo, map: Record<string, string>): ValueInfo {
  const dims = v.type?.tensorType?.shape?.dim;
  if (!dims) return v;
  return {
    ...v,
    type: { ...v.type, tensorType: { ...v.type!.tensorType, shape: { dim: dims.map((d) => (d.dimParam && map[d.dimParam] ? { dimParam: map[d.dimParam] } : d)) } } },
  };
}

function model(unet: ModelProto, controlnet: ModelProto, name: string, node: NodeProto[], input: ValueInfo[], output: ValueInfo[], initializer: TensorProto[]): ModelProto {
  const opsets = new Map<string, number>();
  for (const o of [...(unet.opsetImport ?? []), ...(controlnet.opsetImport ?? [])]) {
    const d = o.domain ?? "";
    opsets.set(d, Math.max(opsets.get(d) ?? 0, Number(o.version)));
  }
  return onnx.ModelProto.create({
    irVersion: unet.irVersion,
    producerName: unet.producerName,
    opsetImport: [...opsets].map(([domain, version]) => ({ domain, version })),
    graph: { name, node, input, output, initializer },
  });
}

export function encodeModel(m: ModelProto): Uint8Array {
  return onnx.ModelProto.encode(m).finish();
}
