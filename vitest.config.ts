import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Tests that run inside workerd (the Workers runtime): D1, KV, R2 and Durable Object stores.
const WORKERD_TESTS = "test/workers/inside/**/*.test.ts";
const WORKERS_CONTRACT_SUITES = [
  "test/functions/routes/generation-streams.test.ts",
  "test/functions/routes/generation-quotas.test.ts",
  "test/functions/middleware/idempotency.test.ts",
  "test/functions/middleware/rate-limit.test.ts",
  "test/functions/middleware/auth-failures.test.ts",
  "test/functions/routes/lists.test.ts",
  "test/functions/routes/generations.test.ts",
  "test/functions/routes/identities.test.ts",
  "test/functions/routes/identity-intake.test.ts",
  "test/functions/routes/identity-cascade.test.ts",
  "test/functions/middleware/problem.test.ts",
  "test/functions/middleware/auth.test.ts",
];
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
        // The Node edge's HTTP contract suites, unchanged, against the Workers edge (their harness
        // starts the Worker under wrangler when EDGE_UNDER_TEST=workers): every suite of
        // test/functions/routes and test/functions/middleware that talks HTTP to a running edge.
        // Not here: sse-relay and request-id-cors (they test the relay and middleware in-process).
        // webhooks.test.ts drives the Node edge's process directly; the Worker's webhooks are checked by
        // test/workers/worker-webhooks.test.ts.
        // A test that checks a platform detail is Node-only there, with its reason (problem: 431).
        test: {
          name: "workers-contract",
          include: WORKERS_CONTRACT_SUITES,
          env: { EDGE_UNDER_TEST: "workers" },
          testTimeout: 60_000,
          // Starting workerd through wrangler on a loaded 2-core machine.
          hookTimeout: 300_000,
          pool: "forks",
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
