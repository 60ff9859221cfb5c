import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // ONNX sessions and image decoding are CPU-heavy on a 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    // builds the tiny model pack once, before any test file runs
    globalSetup: ["test/global-setup.ts"],
  },
});
