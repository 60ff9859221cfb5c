// Every test file starts from the schema in migrations/*.sql, applied to the test's D1 as wrangler would.
import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";

await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
