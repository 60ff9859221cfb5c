import { join } from "node:path";
import type { Stores } from "../../../stores/stores.ts";
import { createFileResultImageStore } from "../files/result-image-store.ts";
import { createSqliteApiKeyStore } from "./api-key-store.ts";
import { openDatabase, type SqliteDatabase } from "./database.ts";
import { createSqliteGenerationStore } from "./generation-store.ts";
import { createSqliteIdempotencyStore } from "./idempotency-store.ts";
import { createSqliteIdentityStore } from "./identity-store.ts";
import { createSqliteRateLimitStore } from "./rate-limit-store.ts";

export { openDatabase, type SqliteDatabase } from "./database.ts";

/** The default single-machine stores: `<dataDir>/edge.sqlite` and `<dataDir>/generations/`. */
export function createSqliteStores(dataDir: string): { stores: Stores; db: SqliteDatabase } {
  const db = openDatabase(edgeDatabasePath(dataDir));
  return {
    db,
    stores: {
      apiKeys: createSqliteApiKeyStore(db),
      identities: createSqliteIdentityStore(db),
      generations: createSqliteGenerationStore(db),
      idempotency: createSqliteIdempotencyStore(db),
      rateLimits: createSqliteRateLimitStore(db),
      images: createFileResultImageStore(join(dataDir, "generations")),
    },
  };
}

export function edgeDatabasePath(dataDir: string): string {
  return join(dataDir, "edge.sqlite");
}
