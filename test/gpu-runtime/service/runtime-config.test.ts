import { describe, expect, it } from "vitest";
import { DEFAULT_PACK_DIR, RuntimeConfigError, runtimeConfigFromEnv } from "../../../gpu-runtime/service/runtime-config.ts";

const TOKEN = "0123456789abcdef";

describe("runtime config from the environment", () => {
  it("has loopback defaults and the tiny pack", () => {
    const c = runtimeConfigFromEnv({ RUNTIME_TOKEN: TOKEN }, "/srv");
    expect(c).toMatchObject({ host: "127.0.0.1", port: 8788, packDir: `/srv/${DEFAULT_PACK_DIR}`, providers: ["cpu"], workers: 1 });
  });

  it("reads an execution-provider order and numbers", () => {
    const c = runtimeConfigFromEnv({ RUNTIME_TOKEN: TOKEN, RUNTIME_PROVIDERS: "webgpu, cpu", RUNTIME_QUEUE_SIZE: "3", RUNTIME_THREADS: "4" });
    expect([c.providers, c.queueCapacity, c.threads]).toEqual([["webgpu", "cpu"], 3, 4]);
  });

  it.each([
    [{}, "RUNTIME_TOKEN"],
    [{ RUNTIME_TOKEN: "short" }, "RUNTIME_TOKEN"],
    [{ RUNTIME_TOKEN: TOKEN, RUNTIME_PORT: "http" }, "RUNTIME_PORT"],
    [{ RUNTIME_TOKEN: TOKEN, RUNTIME_PORT: "70000" }, "RUNTIME_PORT"],
    [{ RUNTIME_TOKEN: TOKEN, RUNTIME_QUEUE_SIZE: "0" }, "RUNTIME_QUEUE_SIZE"],
    [{ RUNTIME_TOKEN: TOKEN, RUNTIME_WORKERS: "1.5" }, "RUNTIME_WORKERS"],
    [{ RUNTIME_TOKEN: TOKEN, RUNTIME_PROVIDERS: "tpu" }, "tpu"],
    [{ RUNTIME_TOKEN: TOKEN, RUNTIME_PROVIDERS: "cpu,cpu" }, "twice"],
  ])("refuses %j naming %s", (env, what) => {
    expect(() => runtimeConfigFromEnv(env)).toThrow(RuntimeConfigError);
    expect(() => runtimeConfigFromEnv(env)).toThrow(what);
  });
});
