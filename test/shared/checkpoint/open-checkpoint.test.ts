import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CheckpointError } from "../../../shared/checkpoint/checkpoint-error.ts";
import { openCheckpoint } from "../../../shared/checkpoint/open-checkpoint.ts";
import { encodeSafetensors, SafetensorsFile } from "../../../shared/checkpoint/safetensors.ts";
import { TorchCheckpoint } from "../../../shared/checkpoint/torch-checkpoint.ts";

const GOLDEN = "test/fixtures/golden";
const dir = mkdtempSync(join(tmpdir(), "open-ckpt-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function errorOf(fn: () => unknown): CheckpointError {
  try {
    fn();
  } catch (err) {
    if (err instanceof CheckpointError) return err;
    throw err;
  }
  throw new Error("expected a CheckpointError");
}

describe("openCheckpoint", () => {
  it("opens a torch.save zip as a TorchCheckpoint and a safetensors file as a SafetensorsFile", () => {
    const torch = openCheckpoint(`${GOLDEN}/adapter/ip-adapter.bin`);
    expect(torch).toBeInstanceOf(TorchCheckpoint);
    expect(torch.names()).toContain("image_proj.latents");
    torch.close();
    const st = openCheckpoint(`${GOLDEN}/resampler/model.safetensors`);
    expect(st).toBeInstanceOf(SafetensorsFile);
    expect(st.names()).toContain("latents");
    st.close();
  });

  it("goes by content, not by file name", () => {
    const stAsBin = join(dir, "weights.bin");
    writeFileSync(stAsBin, encodeSafetensors({ w: { dtype: "float32", shape: [2], data: Float32Array.of(1, 2) } }));
    const a = openCheckpoint(stAsBin);
    expect(a).toBeInstanceOf(SafetensorsFile);
    expect([...a.readFloat32("w").data]).toEqual([1, 2]);
    a.close();
    const torchAsSt = join(dir, "adapter.safetensors");
    copyFileSync(`${GOLDEN}/adapter/ip-adapter.bin`, torchAsSt);
    const b = openCheckpoint(torchAsSt);
    expect(b).toBeInstanceOf(TorchCheckpoint);
    b.close();
  });

  it("an empty file is truncated; text is malformed; a legacy (bare pickle) torch.save is malformed and says so", () => {
    const empty = join(dir, "empty.bin");
    writeFileSync(empty, new Uint8Array(0));
    expect(errorOf(() => openCheckpoint(empty)).code).toBe("truncated");
    const text = join(dir, "notes.bin");
    writeFileSync(text, "these are not the weights you are looking for");
    expect(errorOf(() => openCheckpoint(text)).code).toBe("malformed");
    const legacy = join(dir, "legacy.bin");
    writeFileSync(legacy, Uint8Array.of(0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e));
    const err = errorOf(() => openCheckpoint(legacy));
    expect(err.code).toBe("malformed");
    expect(err.message).toContain("legacy");
  });
});
