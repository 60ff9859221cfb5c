/**
 * The Workers entry (wrangler.toml's main): wiring only. The app is built once per isolate from
 * its bindings; the Durable Object classes wrangler.toml binds are exported from here.
 */
import type { EdgeApp } from "./app.ts";
import { createWorkerApp } from "./adapters/workers/create-worker-app.ts";
import type { WorkerEnv } from "./adapters/workers/env.ts";

export { UserLimiter } from "./adapters/workers/durable-objects/user-limiter.ts";
export { GenerationObject } from "./adapters/workers/durable-objects/generation-object.ts";
export { WebhookDispatcherObject } from "./adapters/workers/durable-objects/webhook-dispatcher-object.ts";

let built: { env: WorkerEnv; edge: EdgeApp } | undefined;

export default {
  fetch(request, env, ctx) {
    if (built?.env !== env) built = { env, edge: createWorkerApp(env) };
    return built.edge.app.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<WorkerEnv>;
