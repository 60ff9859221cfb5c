/**
 * The GPU runtime's entry: `tsx gpu-runtime/main.ts`. Settings come from the environment
 * (service/runtime-config.ts): RUNTIME_TOKEN (required), RUNTIME_PACK_DIR (models/packs/tiny),
 * RUNTIME_HOST (127.0.0.1), RUNTIME_PORT (8788), RUNTIME_PROVIDERS ("cpu"; e.g. "webgpu,cpu"),
 * RUNTIME_THREADS, RUNTIME_WORKERS, RUNTIME_QUEUE_SIZE, RUNTIME_MAX_BATCH, RUNTIME_BATCH_WINDOW_MS,
 * RUNTIME_SHUTDOWN_GRACE_MS. SIGINT/SIGTERM shut down gracefully.
 */
import { serve } from "@hono/node-server";
import { startRuntime } from "./service/runtime.ts";
import { runtimeConfigFromEnv } from "./service/runtime-config.ts";

const log = (line: string) => console.error(`[runtime] ${line}`);

async function main(): Promise<void> {
  const cfg = runtimeConfigFromEnv(process.env);
  const runtime = await startRuntime(cfg, log);
  const server = serve({ fetch: runtime.app.fetch, hostname: cfg.host, port: cfg.port }, (info) => {
    log(`listening on http://${info.address}:${info.port}`);
  });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: finishing in-flight requests (up to ${cfg.shutdownGraceMs} ms)`);
    // New connections are refused at once; open streams stay until their requests end.
    server.close();
    await runtime.close();
    log("stopped");
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

main().catch((err: Error) => {
  log(`cannot start: ${err.message}`);
  process.exit(1);
});
