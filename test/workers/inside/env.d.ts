import type { D1Migration } from "cloudflare:test";
import type { WorkerEnv } from "../../../functions/adapters/workers/env.ts";

declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {
      readonly TEST_MIGRATIONS: D1Migration[];
    }
  }
}
