import { describe, expect, it } from "vitest";
import { RuntimeGenerateRequestSchema } from "../../../shared/contract/index.ts";
import { admitRequest, type PackCapabilities } from "../../../gpu-runtime/pipeline/admission.ts";
import { PipelineError } from "../../../gpu-runtime/pipeline/pipeline-error.ts";
import { tinyRequest } from "../service/loopback-runtime.ts";

const pack: PackCapabilities = { faceEmbeddings: ["antelopev2"], lcm: false, model: { vaeScaleFactor: 8 } };
const req = (over: Parameters<typeof tinyRequest>[0] = {}) => RuntimeGenerateRequestSchema.parse(tinyRequest(over));

function refusal(fn: () => void): PipelineError {
  try {
    fn();
  } catch (err) {
    if (err instanceof PipelineError) return err;
    throw err;
  }
  throw new Error("not refused");
}

describe("admitRequest", () => {
  it("admits a request the pack can serve", () => {
    expect(() => admitRequest(req(), pack)).not.toThrow();
    expect(() => admitRequest(req({ embeddingPack: "lite" }), { ...pack, faceEmbeddings: ["*"] })).not.toThrow();
    expect(() => admitRequest(req({ scheduler: "lcm" }), { ...pack, lcm: true })).not.toThrow();
  });

  it("refuses embeddings of a face pack the adapter was not trained on", () => {
    expect(refusal(() => admitRequest(req({ embeddingPack: "lite" }), pack))).toMatchObject({ code: "embedding_pack_mismatch", field: "embeddingPack" });
  });

  it("refuses fast mode (lcm) without an LCM-fused UNet", () => {
    expect(refusal(() => admitRequest(req({ scheduler: "lcm" }), pack))).toMatchObject({ code: "scheduler_unavailable", field: "scheduler" });
  });

  it("refuses sizes the pack's VAE cannot make and keypoints draw_kps cannot draw", () => {
    expect(refusal(() => admitRequest(req({ width: 72 }), { ...pack, model: { vaeScaleFactor: 16 } }))).toMatchObject({ code: "invalid_request", field: "width" });
    const far = req();
    const kps = far.kps.map((p) => [...p] as [number, number]);
    kps[2] = [5e6, 0];
    expect(refusal(() => admitRequest({ ...far, kps }, pack))).toMatchObject({ code: "invalid_request", field: "kps" });
  });
});
