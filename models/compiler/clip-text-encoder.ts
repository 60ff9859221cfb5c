/**
 * SDXL's text encoders: transformers' CLIPTextModel (CLIP ViT-L, quick_gelu) and
 * CLIPTextModelWithProjection (OpenCLIP bigG, gelu, plus text_projection), from their config.json
 * and HF checkpoint keys (text_model.*, text_projection.weight).
 * Graph: input_ids int64 (B, L <= max_position_embeddings) ->
 *   last_hidden_state (B, L, C)        final_layer_norm(output of the last layer)
 *   penultimate_hidden_state (B, L, C) hidden_states[-2]: the last layer's input, no final LN (what SDXL uses)
 *   pooled (B, C)                      last_hidden_state at the EOS position of each row
 *   text_embeds (B, P)                 text_projection(pooled), CLIPTextModelWithProjection only
 */
import { z } from "zod";
import { GraphBuilder, ONNX_ELEM, type GraphOptions } from "./graph/graph-builder.ts";
import { multiHeadAttention } from "./layers/attention.ts";
import { gelu, layerNorm, linear, quickGelu } from "./layers/basic.ts";
import { CompileError } from "./compile-error.ts";
import { parseConfig } from "./config.ts";
import type { Weights } from "./weights.ts";

const CLASSES = ["CLIPTextModel", "CLIPTextModelWithProjection"] as const;
export type ClipTextClass = (typeof CLASSES)[number];

export const ClipTextConfig = z
  .object({
    // diffusers-style configs name the class in _class_name, transformers' config.json in architectures
    _class_name: z.string().optional(),
    architectures: z.array(z.string()).optional(),
    vocab_size: z.number().int().positive(),
    hidden_size: z.number().int().positive(),
    intermediate_size: z.number().int().positive(),
    num_hidden_layers: z.number().int().positive(),
    num_attention_heads: z.number().int().positive(),
    max_position_embeddings: z.number().int().positive(),
    hidden_act: z.enum(["quick_gelu", "gelu"]),
    layer_norm_eps: z.number().positive().default(1e-5),
    projection_dim: z.number().int().positive().nullable().optional(),
    eos_token_id: z.number().int().default(2),
  })
  .superRefine((c, ctx) => {
    if (c.hidden_size % c.num_attention_heads !== 0) {
      ctx.addIssue({ code: "custom", path: ["num_attention_heads"], message: `${c.hidden_size} is not divisible by ${c.num_attention_heads} heads` });
    }
    const cls = c._class_name ?? c.architectures?.[0];
    if (!CLASSES.includes(cls as ClipTextClass)) {
      ctx.addIssue({ code: "custom", path: ["_class_name"], message: `expected one of ${CLASSES.join(", ")} (in _class_name or architectures), got ${String(cls)}` });
    } else if (cls === "CLIPTextModelWithProjection" && !c.projection_dim) {
      ctx.addIssue({ code: "custom", path: ["projection_dim"], message: "CLIPTextModelWithProjection needs a projection_dim" });
    }
  });
export type ClipTextConfig = z.infer<typeof ClipTextConfig>;

export function clipTextClass(cfg: ClipTextConfig): ClipTextClass {
  return (cfg._class_name ?? cfg.architectures?.[0]) as ClipTextClass;
}

/** A buffer, not a parameter: old transformers checkpoints store it, newer ones do not. */
const POSITION_IDS = "text_model.embeddings.position_ids";

export function buildClipTextEncoder(rawConfig: unknown, w: Weights, options: Partial<GraphOptions> = {}): GraphBuilder {
  const cfg = parseConfig(ClipTextConfig, rawConfig, "CLIP text encoder");
  const withProjection = clipTextClass(cfg) === "CLIPTextModelWithProjection";
  const g = new GraphBuilder({ name: withProjection ? "text_encoder_2" : "text_encoder", ...options });
  const C = cfg.hidden_size;
  const P = cfg.max_position_embeddings;
  const heads = cfg.num_attention_heads;
  const tm = w.scope("text_model.");

  const ids = g.input("input_ids", "int64", ["batch", "sequence"]);
  const seqLen = g.op("Shape", [ids], { start: 1, end: 2 }); // [L]

  if (w.has(POSITION_IDS)) checkPositionIds(w.get(POSITION_IDS, [1, P]).data);

  const emb = tm.scope("embeddings.");
  const tokens = g.op("Gather", [g.weight(emb.get("token_embedding.weight", [cfg.vocab_size, C]), emb.keyOf("token_embedding.weight")), ids], { axis: 0 });
  const positionTable = g.weight(emb.get("position_embedding.weight", [P, C]), emb.keyOf("position_embedding.weight"));
  const positions = g.op("Slice", [positionTable, g.constInt64([0]), seqLen, g.constInt64([0])]);
  let h = g.op("Add", [tokens, positions]);

  const mask = causalMask(g, P, seqLen);
  const act = cfg.hidden_act === "quick_gelu" ? quickGelu : gelu;
  const headDim = C / heads;
  let penultimate = h;
  for (let l = 0; l < cfg.num_hidden_layers; l++) {
    if (l === cfg.num_hidden_layers - 1) penultimate = h;
    h = g.scoped(`layers.${l}`, () => {
      const lw = tm.scope(`encoder.layers.${l}.`);
      const a = lw.scope("self_attn.");
      const x = layerNorm(g, lw, "layer_norm1", h, C, cfg.layer_norm_eps);
      const q = linear(g, a, "q_proj", x, C, C);
      const k = linear(g, a, "k_proj", x, C, C);
      const v = linear(g, a, "v_proj", x, C, C);
      const attn = multiHeadAttention(g, q, k, v, headDim, { heads, mask });
      const h1 = g.op("Add", [h, linear(g, a, "out_proj", attn, C, C)]);
      const m = lw.scope("mlp.");
      const ff = linear(g, m, "fc2", act(g, linear(g, m, "fc1", layerNorm(g, lw, "layer_norm2", h1, C, cfg.layer_norm_eps), C, cfg.intermediate_size)), cfg.intermediate_size, C);
      return g.op("Add", [h1, ff]);
    });
  }
  const last = layerNorm(g, tm, "final_layer_norm", h, C, cfg.layer_norm_eps);
  const pooled = gatherEos(g, last, ids, cfg.eos_token_id, C);

  g.floatOutput("last_hidden_state", last, ["batch", "sequence", C]);
  g.floatOutput("penultimate_hidden_state", penultimate, ["batch", "sequence", C]);
  g.floatOutput("pooled", pooled, ["batch", C]);
  if (withProjection) {
    const dim = cfg.projection_dim!;
    g.floatOutput("text_embeds", linear(g, w, "text_projection", pooled, C, dim, false), ["batch", dim]);
  }
  return g;
}

/**
 * (L, L) additive causal mask sliced from a (P, P) constant: 0 on and below the diagonal, the compute
 * dtype's lowest finite value above it (as transformers does: finite, so no kernel ever forms inf - inf).
 */
function causalMask(g: GraphBuilder, P: number, seqLen: string): string {
  const lowest = g.computeType === "float16" ? -65504 : -3.4028234663852886e38;
  const full = new Float32Array(P * P);
  for (let i = 0; i < P; i++) for (let j = i + 1; j < P; j++) full[i * P + j] = lowest;
  const ends = g.op("Concat", [seqLen, seqLen], { axis: 0 });
  return g.op("Slice", [g.constFloat(full, [P, P]), g.constInt64([0, 0]), ends, g.constInt64([0, 1])]);
}

/**
 * Row-wise pick of the EOS position, as transformers' CLIPTextTransformer: with the legacy
 * eos_token_id 2 it is argmax(input_ids) (EOS has the highest id in CLIP's vocab), otherwise the
 * first position holding eos_token_id. ArgMax runs on float32 ids (exact below 2^24) so every EP has it.
 */
function gatherEos(g: GraphBuilder, hidden: string, ids: string, eosTokenId: number, C: number): string {
  let scores = g.op("Cast", [ids], { to: ONNX_ELEM.float32 });
  if (eosTokenId !== 2) {
    const isEos = g.op("Equal", [ids, g.constInt64([eosTokenId], [])]);
    scores = g.op("Cast", [isEos], { to: ONNX_ELEM.float32 });
  }
  const pos = g.op("ArgMax", [scores], { axis: -1, keepdims: 1 }); // (B, 1), first maximum
  const index = g.op("Expand", [g.op("Unsqueeze", [pos, g.constInt64([2])]), g.constInt64([1, 1, C])]);
  return g.op("Squeeze", [g.op("GatherElements", [hidden, index], { axis: 1 }), g.constInt64([1])]);
}

function checkPositionIds(data: Float32Array): void {
  for (let i = 0; i < data.length; i++) {
    if (data[i] !== i) throw new CompileError("weight_shape", `checkpoint tensor "${POSITION_IDS}" is not 0..${data.length - 1}; this compiler assumes plain positions`, POSITION_IDS);
  }
}
