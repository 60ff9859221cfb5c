import { mkdtempSync, readFileSync, readdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { FacePackError } from "../../../models/face-pack/face-pack-error.ts";
import { fetchLitePack, litePackValid } from "../../../models/face-pack/fetch-lite-pack.ts";
import { LITE_PACK_SHA256 } from "../../../shared/face/lite/lite-pack-manifest.ts";
import { makeTgz } from "./make-tgz.ts";

const names = Object.keys(LITE_PACK_SHA256);
let packDir: string;

async function failure(promise: Promise<unknown>): Promise<FacePackError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FacePackError);
  return err as FacePackError;
}

function tgzOf(dir: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "pack-tgz-")), "package.tgz");
  writeFileSync(path, makeTgz(names.map((n) => ({ name: `package/model/${n}`, data: readFileSync(join(dir, n)) }))));
  return path;
}

beforeAll(async () => {
  // The real pack, fetched from the registry by the command's own code when this clone lacks it.
  packDir = (await fetchLitePack()).dir;
});

describe("fetchLitePack", () => {
  it("leaves a present, verified pack alone", async () => {
    const before = names.map((n) => statSync(join(packDir, n)).mtimeMs);
    expect(await fetchLitePack({ dir: packDir })).toEqual({ dir: packDir, fetched: false });
    expect(names.map((n) => statSync(join(packDir, n)).mtimeMs)).toEqual(before);
  });

  it("extracts and verifies the three models from a package tarball", async () => {
    const dir = mkdtempSync(join(tmpdir(), "face-lite-"));
    expect(litePackValid(dir)).toBe(false);
    expect(await fetchLitePack({ dir, fromTgz: tgzOf(packDir) })).toEqual({ dir, fetched: true });
    expect(litePackValid(dir)).toBe(true);
    expect(readdirSync(dir).sort()).toEqual([...names].sort()); // no staging leftovers
  });

  it("replaces a corrupted file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "face-lite-"));
    await fetchLitePack({ dir, fromTgz: tgzOf(packDir) });
    writeFileSync(join(dir, names[0]!), "not a model");
    expect(litePackValid(dir)).toBe(false);
    expect((await fetchLitePack({ dir, fromTgz: tgzOf(packDir) })).fetched).toBe(true);
    expect(litePackValid(dir)).toBe(true);
  });

  it("refuses files whose sha256 is not the pinned one, writing nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "face-lite-"));
    const fake = join(mkdtempSync(join(tmpdir(), "pack-tgz-")), "fake.tgz");
    writeFileSync(fake, makeTgz(names.map((n) => ({ name: `package/model/${n}`, data: Buffer.from(`tampered ${n}`) }))));
    const err = await failure(fetchLitePack({ dir, fromTgz: fake }));
    expect(err.code).toBe("checksum_mismatch");
    expect(readdirSync(dir)).toEqual([]);
  });

  it("refuses a tarball that lacks a model", async () => {
    const fake = join(mkdtempSync(join(tmpdir(), "pack-tgz-")), "partial.tgz");
    writeFileSync(fake, makeTgz([{ name: "package/model/fr_detect.onnx", data: readFileSync(join(packDir, "fr_detect.onnx")) }]));
    expect((await failure(fetchLitePack({ dir: mkdtempSync(join(tmpdir(), "face-lite-")), fromTgz: fake }))).code).toBe("archive_invalid");
  });

  it("says clearly that it is offline when the registry is unreachable", async () => {
    const saved = process.env.npm_config_registry;
    process.env.npm_config_registry = "http://127.0.0.1:9/"; // nothing listens on the discard port
    try {
      const err = await failure(fetchLitePack({ dir: mkdtempSync(join(tmpdir(), "face-lite-")) }));
      expect(err.code).toBe("download_failed");
      expect(err.message).toMatch(/offline/);
      expect(err.message).toMatch(/npm run models:face/);
    } finally {
      if (saved === undefined) delete process.env.npm_config_registry;
      else process.env.npm_config_registry = saved;
    }
  });
});
