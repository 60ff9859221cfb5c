/**
 * The Workers edge for tests, run locally and offline: wrangler's unstable_startWorker serves
 * functions/worker.ts with wrangler.toml's bindings (D1, KV, R2, both Durable Objects) in workerd on
 * a free loopback port, state under a temp data folder, pointed at a runtime on loopback. Keys are
 * made by the keys CLI with --edge=workers, as an operator does with `npm start -- --edge=workers`.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getPlatformProxy, unstable_readConfig, unstable_startWorker } from "wrangler";
import { runKeysCli } from "../../../functions/cli/keys.ts";
import { createD1IdentityStore } from "../../../functions/adapters/workers/d1/identity-store.ts";
import { openLocalWorkersD1, WRANGLER_CONFIG, workersStateDir } from "../../../functions/cli/workers-local.ts";
import type { IdentityRecord } from "../../../functions/stores/identity-store.ts";

export interface WorkerEdge {
  readonly url: string;
  readonly dataDir: string;
  /** `keys create --user <id> --edge=workers` and returns the key (the CLI's last line). */
  createKey(userId: string, flags?: string[]): Promise<string>;
  fetch(path: string, init?: RequestInit & { key?: string }): Promise<Response>;
  /** Stores an identity in the Worker's D1 directly (for a runtime that cannot analyse faces). */
  insertIdentity(record: IdentityRecord): Promise<void>;
  /** Runs a statement on the Worker's local D1 (over wrangler's platform proxy) and returns its rows. */
  queryD1(sql: string, ...params: unknown[]): Promise<Record<string, unknown>[]>;
  /** The keys of every object in the Worker's local R2 bucket of result images. */
  r2Keys(): Promise<string[]>;
  close(): Promise<void>;
}

export async function startWorkerEdge(opts: {
  runtimeUrl: string;
  runtimeToken: string;
  vars?: Record<string, string>;
  /** Secret bindings (e.g. EMBEDDING_KEY). */
  secrets?: Record<string, string>;
  /**
   * The local state's folder, to start a Worker again on the same D1/KV/R2/Durable Object state
   * (a restart); the caller owns it and close() keeps it. Default: a temp folder close() removes.
   */
  dataDir?: string;
}): Promise<WorkerEdge> {
  process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";
  const ownsDataDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), "edge-workers-")));
  const keysCli = async (args: string[]) => {
    const lines: string[] = [];
    await runKeysCli([...args, "--edge=workers"], dataDir, (l) => lines.push(l));
    return lines;
  };
  // Applies the migrations too (a first key before the Worker ever ran is the README's flow).
  await keysCli(["list"]);
  const plain = (value: string) => ({ type: "plain_text" as const, value });
  const worker = await unstable_startWorker({
    config: WRANGLER_CONFIG,
    bindings: {
      RUNTIME_URL: plain(opts.runtimeUrl),
      RUNTIME_TOKEN: { type: "secret_text", value: opts.runtimeToken },
      ...Object.fromEntries(Object.entries(opts.vars ?? {}).map(([k, v]) => [k, plain(v)])),
      ...Object.fromEntries(Object.entries(opts.secrets ?? {}).map(([k, v]) => [k, { type: "secret_text" as const, value: v }])),
    },
    dev: {
      server: { hostname: "127.0.0.1", port: 0 },
      inspector: false,
      persist: workersStateDir(dataDir),
      watch: false,
      logLevel: "warn",
    },
  });
  try {
    await worker.ready;
  } catch (e) {
    await worker.dispose();
    if (ownsDataDir) await rm(dataDir, { recursive: true, force: true });
    throw e;
  }
  const url = (await worker.url).origin;
  return {
    url,
    dataDir,
    async createKey(userId, flags = []) {
      const lines = await keysCli(["create", "--user", userId, ...flags]);
      return lines[lines.length - 1];
    },
    fetch(path, init = {}) {
      const { key, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (key) headers.set("authorization", `Bearer ${key}`);
      return fetch(`${url}${path}`, { ...rest, headers });
    },
    async insertIdentity(record) {
      const d1 = await openLocalWorkersD1(workersStateDir(dataDir));
      try {
        await createD1IdentityStore(d1.db).insertOrGet(record);
      } finally {
        await d1.close();
      }
    },
    async queryD1(sql, ...params) {
      const d1 = await openLocalWorkersD1(workersStateDir(dataDir));
      try {
        return (await d1.db.prepare(sql).bind(...params).all()).results;
      } finally {
        await d1.close();
      }
    },
    async r2Keys() {
      const { r2_buckets, compatibility_date, name } = unstable_readConfig({ config: WRANGLER_CONFIG });
      const stateDir = workersStateDir(dataDir);
      const proxyConfig = join(stateDir, "r2-keys-proxy.wrangler.json");
      await writeFile(proxyConfig, JSON.stringify({ name, compatibility_date, r2_buckets }));
      type Listing = { objects: { key: string }[]; truncated: boolean; cursor?: string };
      const proxy = await getPlatformProxy<{ IMAGES: { list(o: { cursor?: string }): Promise<Listing> } }>({
        configPath: proxyConfig,
        persist: { path: join(stateDir, "v3") },
        remoteBindings: false,
        envFiles: [],
      });
      try {
        const keys: string[] = [];
        let cursor: string | undefined;
        for (;;) {
          const page = await proxy.env.IMAGES.list(cursor ? { cursor } : {});
          keys.push(...page.objects.map((o) => o.key));
          if (!page.truncated) return keys;
          cursor = page.cursor;
        }
      } finally {
        await proxy.dispose();
      }
    },
    async close() {
      await worker.dispose();
      if (ownsDataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** An identity to store directly (the stub runtime analyses no faces): a 64x64 photo's face. */
export function sampleIdentity(id: string, userId: string): IdentityRecord {
  return {
    id,
    userId,
    contentHash: `h-${id}`,
    pack: "antelopev2",
    embedding: Float32Array.from({ length: 512 }, (_, i) => Math.sin(i) * 2),
    kps: [
      [20, 24],
      [44, 24],
      [32, 36],
      [22, 50],
      [42, 50],
    ],
    bbox: [10, 10, 54, 60],
    score: 0.99,
    faceCount: 1,
    photoCount: 1,
    imageWidth: 64,
    imageHeight: 64,
    createdMs: 0,
  };
}
