/**
 * `wrangler deploy --dry-run --outdir` builds the Worker offline: the bundle stays under Workers'
 * free-plan limit (3 MB gzipped) and holds no onnxruntime and no Node-only module.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { expect, it } from "vitest";
import { REPO_ROOT, WRANGLER_BIN, wranglerEnv } from "../../functions/cli/workers-local.ts";

const FREE_PLAN_GZIP_LIMIT = 3 * 1024 * 1024;

it("builds offline under 3 MB gzipped, without onnxruntime, better-sqlite3 or sharp", async () => {
  const outdir = await mkdtemp(join(tmpdir(), "worker-bundle-"));
  try {
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
