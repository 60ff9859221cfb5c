import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { GraphBuilder } from "../../../models/compiler/graph/graph-builder.ts";
import { linear } from "../../../models/compiler/layers/basic.ts";
import { Weights } from "../../../models/compiler/weights.ts";
import { createSession } from "../../../shared/onnx/ort-session.ts";
import { float32, type Tensor } from "../../../shared/tensor/tensor.ts";

function affine(options: ConstructorParameters<typeof GraphBuilder>[0]) {
  // y = x W^T + b with a 300x300 W (360 KB: above the 1 KB external-data cut)
  const n = 300;
  const w = new Float32Array(n * n).map((_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
  const b = new Float32Array(n).map((_, i) => i / n);
  const weights = new Weights(new Map<string, Tensor>([["fc.weight", float32(w, [n, n])], ["fc.bias", float32(b, [n])]]));
  const g = new GraphBuilder(options);
  g.floatOutput("y", linear(g, weights, "fc", g.floatInput("x", ["batch", n]), n, n), ["batch", n]);
  const x = new Float32Array(2 * n).map((_, i) => Math.sin(i));
  const expected = new Float32Array(2 * n);
  for (let r = 0; r < 2; r++) for (let o = 0; o < n; o++) {
    let s = b[o]!;
    for (let k = 0; k < n; k++) s += x[r * n + k]! * w[o * n + k]!;
    expected[r * n + o] = s;
  }
  return { g, x: float32(x, [2, n]), expected };
}

describe("GraphBuilder", () => {
  it("writes weights to an external data file that ORT loads beside the model", async () => {
    const dir = mkdtempSync(join(tmpdir(), "graph-"));
    const { g, x, expected } = affine({ name: "affine" });
    const modelPath = join(dir, "affine.onnx");
    const bytes = g.encode({ externalDataPath: join(dir, "affine.onnx.data") });
    (await import("node:fs")).writeFileSync(modelPath, bytes);
    expect(statSync(modelPath).size).toBeLessThan(10_000);
    expect(statSync(join(dir, "affine.onnx.data")).size).toBeGreaterThanOrEqual(300 * 300 * 4);
    const session = await createSession(modelPath);
    const y = (await session.run({ x })).y!.data as Float32Array;
    for (let i = 0; i < y.length; i++) expect(y[i]).toBeCloseTo(expected[i]!, 3);
    expect(readFileSync(modelPath).includes(Buffer.from("affine.onnx.data"))).toBe(true);
  });

  it("stores fp16 weights at half the size and casts them for float32 compute", async () => {
    const full = affine({ name: "affine" });
    const half = affine({ name: "affine", weightType: "float16" });
    expect(half.g.initializerBytes).toBeLessThan(full.g.initializerBytes * 0.51);
    const session = await createSession(half.g.encode());
    const y = (await session.run({ x: half.x })).y!.data as Float32Array;
    let err = 0;
    for (let i = 0; i < y.length; i++) err = Math.max(err, Math.abs(y[i]! - half.expected[i]!));
    expect(err).toBeGreaterThan(0);
    expect(err).toBeLessThan(0.05);
  });

  it("records which checkpoint tensor each initializer came from", () => {
    const { g } = affine({ name: "affine" });
    expect(g.weights.map((r) => [r.checkpointKey, r.transform])).toEqual([
      ["fc.weight", "transpose"],
      ["fc.bias", "none"],
    ]);
  });
});
