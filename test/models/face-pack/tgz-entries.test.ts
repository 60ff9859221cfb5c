import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { FacePackError } from "../../../models/face-pack/face-pack-error.ts";
import { readTgzEntries } from "../../../models/face-pack/tgz-entries.ts";
import { makeTgz } from "./make-tgz.ts";

describe("readTgzEntries", () => {
  it("returns exactly the wanted files, including pax long names", async () => {
    const longName = `package/${"deep/".repeat(25)}model.onnx`;
    const tgz = makeTgz([
      { name: "package/package.json", data: Buffer.from("{}") },
      { name: "package/model/a.onnx", data: Buffer.from("first model") },
      { name: longName, data: new Uint8Array(1000).fill(7) },
    ]);
    const found = await readTgzEntries(tgz, (p) => p.endsWith(".onnx"));
    expect([...found.keys()].sort()).toEqual([longName, "package/model/a.onnx"].sort());
    expect(Buffer.from(found.get("package/model/a.onnx")!).toString()).toBe("first model");
    expect(found.get(longName)!.every((b) => b === 7)).toBe(true);
    expect(found.get(longName)).toHaveLength(1000);
  });

  it("refuses bytes that are not gzip, and a truncated archive", async () => {
    await expect(readTgzEntries(Buffer.from("plain text"), () => true)).rejects.toMatchObject({ code: "archive_invalid" });
    const tar = makeTgz([{ name: "package/model/a.onnx", data: new Uint8Array(4096) }]);
    const { gunzipSync } = await import("node:zlib");
    const cut = gzipSync(gunzipSync(tar).subarray(0, 1024));
    const err = await readTgzEntries(cut, () => true).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FacePackError);
    expect((err as FacePackError).code).toBe("archive_invalid");
  });
});
