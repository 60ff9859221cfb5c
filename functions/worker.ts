/**
 * The Workers entry: wiring only (functions/adapters/workers). Exports the Durable Object classes
 * wrangler.toml binds.
 */
export { UserLimiter } from "./adapters/workers/durable-objects/user-limiter.ts";
export { GenerationObject } from "./adapters/workers/durable-objects/generation-object.ts";

export default {
  async fetch(): Promise<Response> {
    return new Response("not yet", { status: 503 });
  },
} satisfies ExportedHandler;
