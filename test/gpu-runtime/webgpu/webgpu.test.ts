/**
 * The webgpu execution provider without a GPU: onnxruntime-node's WebGPU EP (Dawn over Vulkan) on
 * SwiftShader, the CPU Vulkan driver Debian's chromium package installs. Slow but exact: every golden
 * network case must hold its tolerance there, the fused denoiser must match cpu with its constants in
 * device memory, and no UNet or IdentityNet compute node may be placed on cpu (read from ORT's verbose
 * placement log, which the sessions write to a child process's stderr).
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { computeOnCpu, parsePlacements, type Placement } from "../../../shared/onnx/placement-log.ts";

const CHROMIUM = "/usr/lib/chromium";
const ICD = join(CHROMIUM, "vk_swiftshader_icd.json");
const available = existsSync(ICD);
const title = available ? "webgpu provider on SwiftShader" : `webgpu provider on SwiftShader (skipped: ${ICD} is absent; install Debian's chromium package)`;

interface CaseLine {
  case: string;
  provider?: string;
  maxAbsErr?: number;
  atol?: number;
  error?: string;
  [k: string]: unknown;
}

function runCheck(): Promise<{ code: number | null; lines: CaseLine[]; placements: Map<string, Placement[]>; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "webgpu-check.ts")], {
      env: {
        ...process.env,
        // Dawn loads libvulkan.so.1 (chromium ships one) and the ICD named here; Mesa's lavapipe is refused by Dawn
        LD_LIBRARY_PATH: [CHROMIUM, process.env.LD_LIBRARY_PATH].filter(Boolean).join(":"),
        VK_DRIVER_FILES: ICD,
        XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? "/tmp",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      const lines = out
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as CaseLine);
      resolve({ code, lines, placements: parsePlacements(err), stderr: err });
    });
  });
}

describe("ORT placement log", () => {
  const log = [
    "@@case unet",
    "2026-01-01 [V:onnxruntime:, session_state.cc:1383 VerifyEachNodeIsAssignedToAnEp]  Node(s) placed on [CPUExecutionProvider]. Number of nodes: 2",
    "2026-01-01 [V:onnxruntime:, session_state.cc:1385 VerifyEachNodeIsAssignedToAnEp]   Gather (Gather_token_1)",
    "2026-01-01 [V:onnxruntime:, session_state.cc:1385 VerifyEachNodeIsAssignedToAnEp]   Conv (down_blocks.0/Conv_7)",
    "2026-01-01 [V:onnxruntime:, session_state.cc:1383 VerifyEachNodeIsAssignedToAnEp]  Node(s) placed on [WebGpuExecutionProvider]. Number of nodes: 1",
    "2026-01-01 [V:onnxruntime:, session_state.cc:1385 VerifyEachNodeIsAssignedToAnEp]   MatMul (MatMul_3)",
  ].join("\n");

  it("attributes each node to its provider and flags compute nodes left on cpu", () => {
    const unet = parsePlacements(log).get("unet")!;
    expect(unet).toHaveLength(3);
    expect(computeOnCpu(unet)).toEqual([{ provider: "CPUExecutionProvider", opType: "Conv", node: "down_blocks.0/Conv_7" }]);
  });

  it("attributes a session's lines by its log id, even when they reach stderr after the next part's mark", () => {
    // ORT buffers its log natively: the unet session's lines can be flushed after "@@case vae".
    const late = [
      "@@case unet",
      "@@case vae",
      "2026-01-01 [V:onnxruntime:unet, session_state.cc:1383 VerifyEachNodeIsAssignedToAnEp]  Node(s) placed on [WebGpuExecutionProvider]. Number of nodes: 1",
      "2026-01-01 [V:onnxruntime:vae, session_state.cc:1383 VerifyEachNodeIsAssignedToAnEp]  Node(s) placed on [CPUExecutionProvider]. Number of nodes: 1",
      "2026-01-01 [V:onnxruntime:unet, session_state.cc:1385 VerifyEachNodeIsAssignedToAnEp]   MatMul (MatMul_3)",
      "2026-01-01 [V:onnxruntime:vae, session_state.cc:1385 VerifyEachNodeIsAssignedToAnEp]   Conv (Conv_1)",
    ].join("\n");
    const parts = parsePlacements(late);
    expect(parts.get("unet")).toEqual([{ provider: "WebGpuExecutionProvider", opType: "MatMul", node: "MatMul_3" }]);
    expect(parts.get("vae")).toEqual([{ provider: "CPUExecutionProvider", opType: "Conv", node: "Conv_1" }]);
  });
});

describe.skipIf(!available)(title, () => {
  let result: Awaited<ReturnType<typeof runCheck>>;
  beforeAll(async () => {
    result = await runCheck();
  }, 1_800_000);

  it("ran every check in the child process", () => {
    expect(result.code, result.stderr.slice(-2000)).toBe(0);
    expect(result.lines.map((l) => l.case).sort()).toEqual(["controlnet", "denoiser", "faces", "resampler", "text_encoder", "text_encoder_2", "unet", "unet-fused-attention", "vae_decoder"]);
  });

  it.each(["resampler", "text_encoder", "text_encoder_2", "controlnet", "unet", "unet-fused-attention", "vae_decoder"])("golden case %s holds its tolerance on webgpu", (name) => {
    const line = result.lines.find((l) => l.case === name)!;
    expect(line.error).toBeUndefined();
    expect(line.provider).toBe("webgpu");
    expect(line.maxAbsErr).toBeLessThanOrEqual(line.atol!);
  });

  it("runs the fused denoiser on webgpu like cpu, sending only the latents and the timestep per step", () => {
    const line = result.lines.find((l) => l.case === "denoiser")!;
    expect(line.error).toBeUndefined();
    expect(line).toMatchObject({ provider: "webgpu", bindProvider: "webgpu", split: true });
    expect(line.maxAbsErr).toBeLessThanOrEqual(line.atol!);
    // bound constants live in device memory: a host feed would be uploaded (and counted) every run
    expect(line.stepBytes as number).toBeLessThanOrEqual(4 * (line.latentBytes as number) * (line.rows as number));
  });

  it("analyses faces on webgpu with photos that arrive together batched, as cpu does one by one", () => {
    const line = result.lines.find((l) => l.case === "faces")!;
    expect(line.error).toBeUndefined();
    expect(line.faceCounts).toEqual(line.cpuFaceCounts);
    expect((line.faceCounts as number[]).every((n) => n > 0)).toBe(true);
    // one task held every photo: the networks ran their rows together
    expect(line.stats).toMatchObject({ tasks: 1, largestBatch: line.photos });
    // the same embeddings (the web app's on-device criterion) and boxes
    expect(line.minCosine as number).toBeGreaterThanOrEqual(0.999);
    expect(line.maxBoxErr as number).toBeLessThan(1);
  });

  it.each(["unet", "unet-fused-attention", "controlnet", "denoiser"])("places no %s compute node on cpu", (name) => {
    const placed = result.placements.get(name) ?? [];
    // the log was read: without it, an empty list would prove nothing
    expect(placed.filter((p) => p.provider === "WebGpuExecutionProvider").length).toBeGreaterThan(100);
    expect(computeOnCpu(placed)).toEqual([]);
  });
});
