/**
 * `wrangler deploy --dry-run --outdir` builds the Worker offline: the bundle stays under Workers'
 * free-plan limit (3 MB gzipped) and holds no onnxruntime and no Node-only module. The web app's
 * static assets (wrangler.toml [assets]) travel beside it, not in it, each under the 25 MiB asset limit.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { expect, it } from "vitest";
import { REPO_ROOT, WRANGLER_BIN, wranglerEnv } from "../../functions/cli/workers-local.ts";
import { WORKERS_ASSET_MAX_BYTES } from "../../functions/adapters/workers/web-assets-manifest.ts";
import { DEFAULT_WORKERS_ASSETS_DIR, ensureWorkersAssets } from "../../web/server/workers-assets-build.ts";
import { litePackDir } from "../shared/face/lite-pack.ts";

const FREE_PLAN_GZIP_LIMIT = 3 * 1024 * 1024;

it("builds offline under 3 MB gzipped, without onnxruntime, better-sqlite3 or sharp, with the web app as assets of at most 25 MiB each", async () => {
  const outdir = await mkdtemp(join(tmpdir(), "worker-bundle-"));
  try {
    const { manifest } = await ensureWorkersAssets({ facePack: { pack: "lite", dir: await litePackDir() } });
    const assets = (await readdir(DEFAULT_WORKERS_ASSETS_DIR, { recursive: true })).map((p) => join(DEFAULT_WORKERS_ASSETS_DIR, p));
    const sizes = await Promise.all(assets.map(async (p) => ({ p, st: await stat(p) })));
    const files = sizes.filter(({ st }) => st.isFile());
    expect(files.length).toBeGreaterThan(manifest.facePack.files.length + 2);
    for (const { p, st } of files) expect(st.size, p).toBeLessThanOrEqual(WORKERS_ASSET_MAX_BYTES);

    const { stdout } = await promisify(execFile)(WRANGLER_BIN, ["deploy", "--dry-run", "--outdir", outdir], {
      cwd: REPO_ROOT,
      env: wranglerEnv(),
      maxBuffer: 16 * 1024 * 1024,
    });
    expect(stdout).toMatch(/Total Upload: .* gzip: /);
    const bundle = await readFile(join(outdir, "worker.js"));
    const gz = gzipSync(bundle, { level: 9 }).length;
    console.log(`worker bundle: ${(bundle.length / 1024).toFixed(1)} KiB, ${(gz / 1024).toFixed(1)} KiB gzipped`);
    expect(gz).toBeLessThan(FREE_PLAN_GZIP_LIMIT);
    const text = bundle.toString("utf8");
    for (const banned of ["onnxruntime", "better-sqlite3", "sharp/lib", "@hono/node-server"]) expect(text).not.toContain(banned);
    // Both Durable Object classes are exported for wrangler.toml's bindings.
    expect(text).toMatch(/export\s*\{[^}]*\bGenerationObject\b/);
    expect(text).toMatch(/export\s*\{[^}]*\bUserLimiter\b/);
  } finally {
    await rm(outdir, { recursive: true, force: true });
  }
}, 120_000);
