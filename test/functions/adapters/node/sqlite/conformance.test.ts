/**
 * The Node edge's stores (SQLite file, result images as files) against the conformance suites
 * every store implementation must pass. Each test gets a fresh file (useTempEdgeDatabase).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe } from "vitest";
import { createFileResultImageStore } from "../../../../../functions/adapters/node/files/result-image-store.ts";
import { createSqliteApiKeyStore } from "../../../../../functions/adapters/node/sqlite/api-key-store.ts";
import { createSqliteGenerationStore } from "../../../../../functions/adapters/node/sqlite/generation-store.ts";
import { createSqliteIdempotencyStore } from "../../../../../functions/adapters/node/sqlite/idempotency-store.ts";
import { createSqliteIdentityStore } from "../../../../../functions/adapters/node/sqlite/identity-store.ts";
import { createSqliteRateLimitStore } from "../../../../../functions/adapters/node/sqlite/rate-limit-store.ts";
import { useTempEdgeDatabase } from "../../../helpers/temp-edge-database.ts";
import {
  describeApiKeyStoreConformance,
  describeGenerationStoreConformance,
  describeIdempotencyStoreConformance,
  describeIdentityStoreConformance,
  describeRateLimitStoreConformance,
  describeResultImageStoreConformance,
} from "../../../stores/conformance/index.ts";

describe("SQLite stores", () => {
  const open = useTempEdgeDatabase();
  describeApiKeyStoreConformance(() => createSqliteApiKeyStore(open()));
  describeIdentityStoreConformance(() => createSqliteIdentityStore(open()));
  describeGenerationStoreConformance(() => createSqliteGenerationStore(open()));
  describeIdempotencyStoreConformance(() => createSqliteIdempotencyStore(open()));
  describeRateLimitStoreConformance(() => createSqliteRateLimitStore(open()));
});

describe("file result images", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  describeResultImageStoreConformance(() => {
    const dir = mkdtempSync(join(tmpdir(), "edge-images-"));
    dirs.push(dir);
    return createFileResultImageStore(dir);
  });
});
