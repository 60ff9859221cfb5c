/**
 * The local Workers edge's state, from Node: what `npm start -- --edge=workers`, the keys CLI with
 * --edge=workers and the Worker tests share. wrangler keeps local D1/KV/R2/Durable Object state under
 * `<dataDir>/workers` (wrangler dev --persist-to), and Node reaches the same D1 through wrangler's
 * platform proxy, so a key the CLI creates is one the running Worker accepts.
 */
import { execFile } from "node:child_process";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { getPlatformProxy, unstable_readConfig } from "wrangler";
import { createD1ApiKeyStore } from "../adapters/workers/d1/api-key-store.ts";
import type { D1Like } from "../adapters/workers/d1/d1-like.ts";
import type { ApiKeyStore } from "../stores/api-key-store.ts";

export const REPO_ROOT = join(import.meta.dirname, "..", "..");
/** WRANGLER_CONFIG picks another wrangler configuration (default: the repository's wrangler.toml). */
export const WRANGLER_CONFIG = process.env.WRANGLER_CONFIG ?? join(REPO_ROOT, "wrangler.toml");
export const WRANGLER_BIN = join(REPO_ROOT, "node_modules", ".bin", "wrangler");

/** wrangler's --persist-to folder for a data folder. */
export function workersStateDir(dataDir: string): string {
  return join(dataDir, "workers");
}

/** Environment for wrangler child processes: offline, no telemetry, no prompts. */
export function wranglerEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    WRANGLER_SEND_METRICS: "false",
    CI: "1",
    ...extra,
  };
}

/** `wrangler d1 migrations apply DB --local`: migrations/*.sql onto the local D1, as a deploy applies them remotely. */
export async function applyLocalMigrations(stateDir: string, configPath = WRANGLER_CONFIG): Promise<void> {
  try {
    await promisify(execFile)(
      WRANGLER_BIN,
      ["d1", "migrations", "apply", "DB", "--local", "--config", configPath, "--persist-to", stateDir],
      { env: wranglerEnv(), cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 },
    );
  } catch (e) {
    const { stderr, stdout } = e as { stderr?: string; stdout?: string };
    throw new Error(`wrangler d1 migrations apply failed:\n${stderr || stdout || (e as Error).message}`);
  }
}

/**
 * The local Worker's D1 (over wrangler's platform proxy, on the state wrangler dev uses), with every
 * migration applied; close() when done.
 */
export async function openLocalWorkersD1(stateDir: string, configPath = WRANGLER_CONFIG): Promise<{ db: D1Like; close(): Promise<void> }> {
  // A configuration with the D1 binding alone: the proxy runs no Worker, and the Durable Object
  // bindings would only make workerd warn that their classes are missing.
  const { d1_databases, compatibility_date, name } = unstable_readConfig({ config: configPath });
  await mkdir(stateDir, { recursive: true });
  const proxyConfig = join(stateDir, "d1-proxy.wrangler.json");
  await writeFile(proxyConfig, JSON.stringify({ name, compatibility_date, d1_databases }));
  // getPlatformProxy's path is the folder wrangler dev calls <persist-to>/v3.
  const proxy = await getPlatformProxy<{ DB: D1Like }>({
    configPath: proxyConfig,
    persist: { path: join(stateDir, "v3") },
    remoteBindings: false,
    envFiles: [],
  });
  try {
    // wrangler's migration run costs seconds: only when a migration is not recorded yet.
    if ((await pendingMigrations(proxy.env.DB)).length > 0) await applyLocalMigrations(stateDir, configPath);
  } catch (e) {
    await proxy.dispose();
    throw e;
  }
  return { db: proxy.env.DB, close: () => proxy.dispose() };
}

/** The local Worker's api-key store; close() when done. */
export async function openLocalWorkersApiKeyStore(
  stateDir: string,
  configPath = WRANGLER_CONFIG,
): Promise<{ store: ApiKeyStore; close(): Promise<void> }> {
  const { db, close } = await openLocalWorkersD1(stateDir, configPath);
  return { store: createD1ApiKeyStore(db), close };
}

/** migrations/*.sql files that D1's d1_migrations table does not list. */
async function pendingMigrations(db: D1Like): Promise<string[]> {
  const files = (await readdir(join(REPO_ROOT, "migrations"))).filter((f) => f.endsWith(".sql"));
  let applied: Set<string>;
  try {
    applied = new Set((await db.prepare("SELECT name FROM d1_migrations").all<{ name: string }>()).results.map((r) => r.name));
  } catch {
    return files; // no d1_migrations table: a fresh database
  }
  return files.filter((f) => !applied.has(f));
}
