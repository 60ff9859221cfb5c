/**
 * Which execution provider ORT placed each node on, read from its verbose session log
 * (logSeverityLevel 0: "Node(s) placed on [XExecutionProvider]. Number of nodes: N" then one
 * "  OpType (node name)" line per node). ORT writes that log to the process's stderr, so a check
 * runs the sessions in a child process and reads its stderr.
 */

export interface Placement {
  readonly provider: string;
  readonly opType: string;
  readonly node: string;
}

/** Operators that do the work of a UNet or IdentityNet: none of them may fall back to cpu on a GPU provider. */
export const COMPUTE_OPS = new Set([
  "Conv",
  "ConvTranspose",
  "FusedConv",
  "NhwcConv",
  "MatMul",
  "FusedMatMul",
  "MatMulNBits",
  "Gemm",
  "Einsum",
  "Softmax",
  "LayerNormalization",
  "SkipLayerNormalization",
  "SimplifiedLayerNormalization",
  "InstanceNormalization",
  "GroupNormalization",
  "GroupNorm",
  "SkipGroupNorm",
  "BatchNormalization",
  "Attention",
  "MultiHeadAttention",
  "GroupQueryAttention",
  "Gelu",
  "BiasGelu",
  "FastGelu",
  "BiasSplitGelu",
  "Erf",
]);

const SECTION = /Node\(s\) placed on \[(\w+)\]\. Number of nodes: \d+/;
const NODE = /VerifyEachNodeIsAssignedToAnEp\]\s{3}(\S+) \((.*)\)\s*$/;

/** ORT's prefix on a session's log lines: "[V:onnxruntime:<logId>, file:line function]". */
const LOG_ID = /\[[VIWEF]:onnxruntime:([^,\]]*),/;

/**
 * Placements per labelled part of the log. A line from a session opened with a `logId` belongs to the
 * part of that name: ORT's log is buffered natively, so its lines can reach stderr after what the
 * script wrote later, and only the id in the line itself attributes it reliably. Lines without an id
 * fall back to the last "@@case NAME" line (written by the checking script); before any, to "".
 */
export function parsePlacements(log: string): Map<string, Placement[]> {
  const parts = new Map<string, Placement[]>();
  let label = "";
  // the provider section each part is in (a part's lines keep their order even when parts interleave)
  const provider = new Map<string, string>();
  for (const line of log.split("\n")) {
    const mark = /^@@case (\S+)/.exec(line);
    if (mark) {
      label = mark[1]!;
      provider.delete(label);
      continue;
    }
    const part = LOG_ID.exec(line)?.[1] || label;
    const section = SECTION.exec(line);
    if (section) {
      provider.set(part, section[1]!);
      continue;
    }
    const node = NODE.exec(line);
    const on = provider.get(part);
    if (node && on) {
      const list = parts.get(part) ?? [];
      list.push({ provider: on, opType: node[1]!, node: node[2]! });
      parts.set(part, list);
    }
  }
  return parts;
}

/** The compute nodes placed on the cpu provider. */
export function computeOnCpu(placements: readonly Placement[]): Placement[] {
  return placements.filter((p) => p.provider === "CPUExecutionProvider" && COMPUTE_OPS.has(p.opType));
}

/** Nodes per provider, for reports. */
export function countByProvider(placements: readonly Placement[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of placements) out[p.provider] = (out[p.provider] ?? 0) + 1;
  return out;
}
