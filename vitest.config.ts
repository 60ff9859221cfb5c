import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Tests that run inside workerd (the Workers runtime): D1, KV, R2 and Durable Object stores.
const WORKERD_TESTS = "test/workers/inside/**/*.test.ts";
const migrationsDir = fileURLToPath(new URL("./migrations", import.meta.url));
// Everything offline: Miniflare would otherwise fetch Cloudflare's request.cf data.
process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "node",
          include: ["test/**/*.test.ts"],
          exclude: [WORKERD_TESTS, "**/node_modules/**"],
          // ONNX sessions and image decoding are CPU-heavy on a 2-core machine.
          testTimeout: 60_000,
          hookTimeout: 120_000,
          pool: "forks",
          // builds the tiny model pack once, before any test file runs
          globalSetup: ["test/global-setup.ts"],
        },
      },
      {
        plugins: [
          cloudflareTest(async () => ({
            main: "./functions/worker.ts",
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                RUNTIME_TOKEN: "workers-test-runtime-token",
                TEST_MIGRATIONS: await readD1Migrations(migrationsDir),
              },
            },
          })),
        ],
        test: {
          name: "workers",
          include: [WORKERD_TESTS],
          setupFiles: ["test/workers/inside/apply-migrations.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
