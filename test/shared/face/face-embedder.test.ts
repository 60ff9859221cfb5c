import { describe, expect, it } from "vitest";
import { FaceEmbedder } from "../../../shared/face/face-embedder.ts";
import type { FaceSession } from "../../../shared/face/face-session.ts";
import type { Tensor } from "../../../shared/tensor/tensor.ts";

function echoSession(): { session: FaceSession; fed: Tensor[] } {
  const fed: Tensor[] = [];
  return {
    fed,
    session: {
      provider: "cpu",
      inputNames: ["data"],
      outputNames: ["fc1"],
      async run(feeds) {
        fed.push(feeds.data!);
        return { fc1: { dtype: "float32", shape: [1, 4], data: new Float32Array([3, -4, 0, 12]) } };
      },
      async release() {},
    },
  };
}

describe("FaceEmbedder", () => {
  it("feeds (x - mean) / std as planar RGB and returns the raw, unnormalised output", async () => {
    const { session, fed } = echoSession();
    const embedder = new FaceEmbedder(session, { mean: 127.5, std: 127.5, size: 2 });
    const rgb = new Uint8Array([255, 0, 127, 0, 0, 0, 0, 0, 0, 0, 255, 0]);
    const embedding = await embedder.embed({ rgb, width: 2, height: 2 });
    expect(Array.from(embedding)).toEqual([3, -4, 0, 12]);
    const input = fed[0]!;
    expect(input.shape).toEqual([1, 3, 2, 2]);
    const d = Array.from(input.data as Float32Array);
    // R plane, then G, then B; pixel 0 is (255, 0, 127), pixel 3 is (0, 255, 0).
    expect(d[0]).toBeCloseTo(1, 6);
    expect(d[4]).toBeCloseTo(-1, 6);
    expect(d[4 + 3]).toBeCloseTo(1, 6);
    expect(d[8]).toBeCloseTo((127 - 127.5) / 127.5, 6);
  });

  it("refuses a crop of the wrong size", async () => {
    const embedder = new FaceEmbedder(echoSession().session, { mean: 127.5, std: 127.5, size: 112 });
    await expect(embedder.embed({ rgb: new Uint8Array(12), width: 2, height: 2 })).rejects.toThrow(RangeError);
  });
});
