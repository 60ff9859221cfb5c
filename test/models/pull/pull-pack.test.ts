/**
 * The download side of `npm run models -- pull`, against the hub double serving the tiny
 * checkpoints as the production repositories: every file fetched once and verified, nothing fetched
 * twice, damage refused and named, cut connections resumed with Range, missing files and gated
 * repositories explained.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { DownloadProgress } from "../../../models/pull/download-progress.ts";
import { blobsDir, snapshotPath } from "../../../models/pull/hub-location.ts";
import { listPack } from "../../../models/pull/inspect-pack.ts";
import { PullError } from "../../../models/pull/pull-error.ts";
import { readLock } from "../../../models/pull/pull-lock.ts";
import { pullPack, type PullOptions } from "../../../models/pull/pull-pack.ts";
import { pinnedFiles, type SourceManifest } from "../../../models/pull/source-manifest.ts";
import { writeTinyCheckpoints } from "../../../models/tiny/build-tiny-pack.ts";
import { startHubDouble, type HubDouble } from "./hub-double.ts";
import { INSTANTID_REPO, SDXL_REPO, tinyHub, type TinyHub } from "./tiny-hub.ts";

const UNET = "unet/diffusion_pytorch_model.fp16.safetensors";

describe("models pull (hub double)", () => {
  let checkpoints: string;
  let hub: TinyHub;
  let double: HubDouble;
  let cacheDir: string;
  let packsDir: string;

  const pull = (o: PullOptions = {}, manifest: SourceManifest = hub.manifest) =>
    pullPack(manifest, { hubUrl: double.url, cacheDir, packsDir, compile: false, retryDelayMs: 0, ...o });
  const cached = (repo: string, path: string) => snapshotPath(cacheDir, repo, hub.manifest.repos.find((r) => r.repo === repo)!.revision, path);
  const keyOf = (repo: string, path: string) => pinnedFiles(hub.manifest).find((f) => f.repo === repo && f.path === path)!.key;
  const failureOf = async (p: Promise<unknown>): Promise<PullError> => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PullError);
    return err as PullError;
  };

  beforeAll(() => {
    checkpoints = mkdtempSync(join(tmpdir(), "tiny-checkpoints-"));
    writeTinyCheckpoints(checkpoints);
    hub = tinyHub(checkpoints);
  });
  afterAll(() => rmSync(checkpoints, { recursive: true, force: true }));

  beforeEach(async () => {
    vi.spyOn(console, "debug").mockImplementation(() => {}); // the library logs each download on stdout
    double = await startHubDouble(hub.files);
    cacheDir = mkdtempSync(join(tmpdir(), "hub-cache-"));
    packsDir = mkdtempSync(join(tmpdir(), "packs-"));
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await double.close();
    rmSync(cacheDir, { recursive: true, force: true });
    rmSync(packsDir, { recursive: true, force: true });
  });

  it("a clean pull downloads every manifest file once into the hub cache, verified, and copies the face files", async () => {
    const report = await pull();
    const files = pinnedFiles(hub.manifest);
    // tokenizer_2 holds tokenizer's very bytes: the cache links the blob it already has.
    const twins = files.filter((f) => f.path.startsWith("tokenizer_2/")).map((f) => f.key);
    expect(twins).toHaveLength(2);
    expect(report.downloaded).toEqual(files.map((f) => f.key).filter((k) => !twins.includes(k)));
    expect(report.reused).toEqual(twins);
    // Each distinct content crosses the network once.
    const downloadsByContent = new Map<string, number>();
    for (const f of files) {
      expect(Buffer.compare(readFileSync(cached(f.repo, f.path)), hub.content(f.repo, f.path)), f.key).toBe(0);
      const id = `${f.repo}:${f.sha256}`;
      downloadsByContent.set(id, (downloadsByContent.get(id) ?? 0) + double.contentRequests(f.repo, f.path).length);
    }
    expect([...downloadsByContent.values()].every((n) => n === 1)).toBe(true);
    // Only what the manifest names: one paths-info per file, never a listing of the repository.
    expect(double.requests.filter((r) => r.path.includes("/paths-info/"))).toHaveLength(files.length);
    expect(double.requests.every((r) => !/\/api\/models\/[^/]+\/[^/]+\/(tree|revision)/.test(r.path))).toBe(true);
    for (const f of files.filter((x) => x.use === "face")) {
      expect(Buffer.compare(readFileSync(join(report.faceDir, f.path)), hub.content(f.repo, f.path))).toBe(0);
    }
    const lock = readLock(report.lockFile, hub.manifest.name);
    expect(Object.keys(lock.files).sort()).toEqual(files.map((f) => f.key).sort());
  });

  it("a second pull downloads nothing: not one request reaches the hub", async () => {
    await pull();
    double.requests.length = 0;
    const again = await pull();
    expect(double.requests).toEqual([]);
    expect(again.downloaded).toEqual([]);
    expect(again.reused).toHaveLength(pinnedFiles(hub.manifest).length);
  });

  it("a file damaged in the cache after a pull is found and downloaded again, alone", async () => {
    await pull();
    const good = hub.content(SDXL_REPO, UNET);
    const bad = Uint8Array.from(good);
    bad[4096] = bad[4096]! ^ 0xff;
    writeFileSync(cached(SDXL_REPO, UNET), bad); // through the link: the blob itself
    double.requests.length = 0;
    const again = await pull();
    expect(again.downloaded).toEqual([keyOf(SDXL_REPO, UNET)]);
    expect(Buffer.compare(readFileSync(cached(SDXL_REPO, UNET)), good)).toBe(0);
    for (const f of pinnedFiles(hub.manifest).filter((x) => x.path !== UNET)) expect(double.contentRequests(f.repo, f.path), f.key).toEqual([]);
    expect(double.contentRequests(SDXL_REPO, UNET)).toHaveLength(1);
  });

  it("a corrupted download is refused, named, and not left in the cache; the next pull gets the right bytes", async () => {
    const good = hub.content(SDXL_REPO, UNET);
    const bad = Uint8Array.from(good);
    bad[1000] = bad[1000]! ^ 0x55; // same size: only the digest can tell
    double.corrupt(SDXL_REPO, UNET, bad);

    const err = await failureOf(pull());
    expect(err.code).toBe("file_corrupt");
    expect(err.file).toBe(keyOf(SDXL_REPO, UNET));
    expect(err.message).toContain(UNET);
    expect(err.message).toMatch(/sha256 [0-9a-f]{64}, expected [0-9a-f]{64}/);
    expect(existsSync(cached(SDXL_REPO, UNET))).toBe(false);
    const sha = pinnedFiles(hub.manifest).find((f) => f.path === UNET)!.sha256!;
    expect(existsSync(join(blobsDir(cacheDir, SDXL_REPO), sha))).toBe(false);

    double.restore(SDXL_REPO, UNET);
    await pull();
    expect(Buffer.compare(readFileSync(cached(SDXL_REPO, UNET)), good)).toBe(0);
  });

  it("a connection cut mid-file is resumed with a Range request from the byte it stopped at", async () => {
    const size = hub.content(SDXL_REPO, UNET).byteLength;
    const cutAt = Math.floor(size * 0.4);
    double.cutAfter(SDXL_REPO, UNET, cutAt);
    const seen = new Map<string, { total?: number; bytes: number; retries: number[] }>();
    const progress: DownloadProgress = {
      info() {},
      file(label) {
        const s = { bytes: 0, retries: [] as number[] } as { total?: number; bytes: number; retries: number[] };
        seen.set(label, s);
        return { begin: (t) => void (s.total = t), advance: (n) => void (s.bytes += n), retrying: (offset) => void s.retries.push(offset), done() {} };
      },
    };
    await pull({ progress });
    // The progress bar saw the whole size, every byte once, and one cut.
    const file = seen.get(keyOf(SDXL_REPO, UNET))!;
    expect(file).toMatchObject({ total: size, bytes: size });
    expect(file.retries).toHaveLength(1);
    // It resumes from the bytes it really received: a reset connection can lose the last ones the
    // server wrote before the cut, so that is at most cutAt, not always exactly it.
    const resumedAt = file.retries[0]!;
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(cutAt);
    const reqs = double.contentRequests(SDXL_REPO, UNET);
    expect(reqs.map((r) => [r.range, r.servedBytes])).toEqual([
      [undefined, cutAt],
      [`bytes=${resumedAt}-`, size - resumedAt],
    ]);
    expect(Buffer.compare(readFileSync(cached(SDXL_REPO, UNET)), hub.content(SDXL_REPO, UNET))).toBe(0);
  });

  it("a pull that dies mid-file leaves a partial download; the next pull resumes it without fetching a byte twice", async () => {
    const size = hub.content(SDXL_REPO, UNET).byteLength;
    double.cutAfter(SDXL_REPO, UNET, Math.floor(size / 2));
    const err = await failureOf(pull({ retries: 0 }));
    expect(err.code).toBe("network");
    expect(err.message).toContain(UNET);

    const partial = listPack(hub.manifest, { packsDir, cacheDir }).sources.find((s) => s.key === keyOf(SDXL_REPO, UNET))!;
    expect(partial.state).toBe("partial");
    expect(partial.bytes).toBeGreaterThan(0);

    double.requests.length = 0;
    const report = await pull();
    const reqs = double.contentRequests(SDXL_REPO, UNET);
    expect(reqs.map((r) => [r.range, r.servedBytes])).toEqual([[`bytes=${partial.bytes}-`, size - partial.bytes]]);
    expect(Buffer.compare(readFileSync(cached(SDXL_REPO, UNET)), hub.content(SDXL_REPO, UNET))).toBe(0);
    // Files finished before the failure are not asked for again.
    expect(report.reused.length).toBeGreaterThan(0);
    for (const f of pinnedFiles(hub.manifest).filter((x) => report.reused.includes(x.key))) {
      expect(double.contentRequests(f.repo, f.path), f.key).toEqual([]);
    }
  });

  it("a file missing from the hub is a clear error naming the repository, revision and path", async () => {
    double.remove(INSTANTID_REPO, "ip-adapter.bin");
    const err = await failureOf(pull());
    expect(err.code).toBe("file_missing");
    expect(err.message).toContain("InstantX/InstantID has no file ip-adapter.bin at revision 57b32dfee076092ad2930c71fd6d439c2c3b1820");
  });

  it("a revision the hub does not have is a clear error", async () => {
    const moved: SourceManifest = {
      ...hub.manifest,
      repos: hub.manifest.repos.map((r) => (r.repo === INSTANTID_REPO ? { ...r, revision: "0".repeat(40) } : r)),
    };
    const err = await failureOf(pull({}, moved));
    expect(err.code).toBe("file_missing");
    expect(err.message).toMatch(/InstantX\/InstantID@0000000:.*not found.*revision 0{40}/);
  });

  it("sends HF_TOKEN as a bearer token; a gated repository without it says to set HF_TOKEN", async () => {
    double.requireToken("hf_double_secret");
    const err = await failureOf(pull());
    expect(err.code).toBe("auth");
    expect(err.message).toContain("HF_TOKEN");

    double.requests.length = 0;
    await pull({ accessToken: "hf_double_secret" });
    expect(double.requests.length).toBeGreaterThan(0);
    expect(double.requests.every((r) => r.authorization === "Bearer hf_double_secret")).toBe(true);
  });

  it("a file whose digest the manifest does not know is pinned by the first pull and held to it afterwards", async () => {
    const config = "scheduler/scheduler_config.json";
    const unknown: SourceManifest = {
      ...hub.manifest,
      repos: hub.manifest.repos.map((r) =>
        r.repo === SDXL_REPO ? { ...r, files: r.files.map((f) => (f.path === config ? { ...f, bytes: null, sha256: null, verifyOnFirstPull: true } : f)) } : r,
      ),
    };
    const first = await pull({}, unknown);
    expect(first.pinned).toEqual([keyOf(SDXL_REPO, config)]);
    expect(readLock(first.lockFile, unknown.name).files[keyOf(SDXL_REPO, config)]).toMatchObject({ bytes: hub.content(SDXL_REPO, config).byteLength, pinnedOnFirstPull: true });

    // Another machine state (empty cache), same lock: the hub now serves other bytes.
    rmSync(cacheDir, { recursive: true, force: true });
    double.corrupt(SDXL_REPO, config, new TextEncoder().encode('{"_class_name": "EulerDiscreteScheduler", "tampered": true}'));
    const err = await failureOf(pull({}, unknown));
    expect(err.code).toBe("file_corrupt");
    expect(err.message).toContain(config);
  });
});
