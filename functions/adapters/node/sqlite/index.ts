import { join } from "node:path";
import type { Stores } from "../../../stores/stores.ts";
import { createFileResultImageStore } from "../files/result-image-store.ts";
import { createSqliteApiKeyStore } from "./api-key-store.ts";
import { embeddingCipherFor, ensurePrivateDataDir, ensurePrivateFile } from "./data-files.ts";
import { openDatabase, type SqliteDatabase } from "./database.ts";
import { createSqliteGenerationStore } from "./generation-store.ts";
import { createSqliteIdempotencyStore } from "./idempotency-store.ts";
import { createSqliteIdentityStore } from "./identity-store.ts";
import { createSqliteRateLimitStore } from "./rate-limit-store.ts";

export { openDatabase, type SqliteDatabase } from "./database.ts";

/** The default single-machine stores: `<dataDir>/edge.sqlite` and `<dataDir>/generations/`. */
export function createSqliteStores(dataDir: string, env: NodeJS.ProcessEnv = process.env): { stores: Stores; db: SqliteDatabase } {
  // Owner-only data: the folder (when created here), the database, the embedding key (data-files.ts).
  ensurePrivateDataDir(dataDir);
  ensurePrivateFile(edgeDatabasePath(dataDir));
  const cipher = embeddingCipherFor(dataDir, env);
  const db = openDatabase(edgeDatabasePath(dataDir));
  return {
    db,
    stores: {
      apiKeys: createSqliteApiKeyStore(db),
      identities: createSqliteIdentityStore(db, cipher),
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
