/**
 * `npm run keys -- ... --edge=workers --remote`: the D1 api-key store's own statements go to
 * `wrangler d1 execute <database> --remote --json --command <sql>` with the bound values written
 * in as literals. Offline: a stand-in for wrangler records each command line and runs its SQL on a
 * real SQLite database with the project's migrations (the schema D1 has), answering as
 * `d1 execute --json` does.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseApiKey } from "../../../functions/api-keys/api-key.ts";
import { createSqliteApiKeyStore } from "../../../functions/adapters/node/sqlite/api-key-store.ts";
import { edgeDatabasePath, openDatabase } from "../../../functions/adapters/node/sqlite/index.ts";
import { KeysCliError, runKeysCli } from "../../../functions/cli/keys.ts";
import { WRANGLER_CONFIG } from "../../../functions/cli/workers-local.ts";
import {
  inlineParams,
  parseExecuteOutput,
  remoteDatabaseName,
  sqlLiteral,
  type WranglerRun,
} from "../../../functions/cli/workers-remote.ts";

let dir: string;
let db: ReturnType<typeof openDatabase>;
let calls: string[][];

/** wrangler d1 execute as the deployed D1 would answer it, on a local SQLite database. */
const wrangler: WranglerRun = async (args) => {
  calls.push([...args]);
  const sql = args[args.indexOf("--command") + 1]!;
  const statement = db.prepare(sql);
  if (statement.reader) return JSON.stringify([{ results: statement.all(), success: true, meta: { changes: 0 } }], null, 2);
  const { changes } = statement.run();
  return JSON.stringify([{ results: [], success: true, meta: { changes } }], null, 2);
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "keys-remote-"));
  db = openDatabase(edgeDatabasePath(join(dir, "remote")));
  calls = [];
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const keys = async (args: string[]) => {
  const lines: string[] = [];
  await runKeysCli([...args, "--edge=workers", "--remote"], dir, (l) => lines.push(l), { runWrangler: wrangler });
  return lines;
};

describe("keys --edge=workers --remote", () => {
  it("runs each statement as wrangler d1 execute <database> --remote --json --command, the values written in", async () => {
    const name = "it's; DROP TABLE api_keys; --";
    const out = await keys(["create", "--user", "o'brien", "--name", name, "--requests-per-minute", "120"]);
    const { keyId } = parseApiKey(out.at(-1)!)!;

    const database = remoteDatabaseName();
    expect(database).toBe("instantid-edge");
    expect(calls.length).toBeGreaterThan(0);
    for (const args of calls) {
      expect(args.slice(0, -1)).toEqual(["d1", "execute", database, "--remote", "--json", "--config", WRANGLER_CONFIG, "--command"]);
      expect(args.at(-1)).not.toContain("?");
    }
    const insert = calls.map((a) => a.at(-1)!).find((sql) => sql.startsWith("INSERT INTO api_keys"))!;
    expect(insert).toContain("'o''brien'");
    expect(insert).toContain("'it''s; DROP TABLE api_keys; --'");

    // What reached the database is the key the local CLI would have made.
    const stored = await createSqliteApiKeyStore(db).findById(keyId);
    expect(stored).toMatchObject({ userId: "o'brien", name, revokedMs: null, limits: { requestsPerMinute: 120 } });
    expect(stored!.webhookSecret).toMatch(/^whsec_/);

    const list = await keys(["list", "--user", "o'brien"]);
    expect(list).toHaveLength(1);
    expect(list[0]).toContain(keyId);
    expect(list[0]).toContain("webhook-secret=set");
    expect(await keys(["list", "--user", "nobody"])).toEqual([]);

    expect(await keys(["revoke", keyId])).toEqual([`revoked ${keyId}`]);
    expect((await createSqliteApiKeyStore(db).findById(keyId))!.revokedMs).toBeGreaterThan(0);
    await expect(keys(["revoke", keyId])).rejects.toThrow(`no active key ${keyId}`);

    const rotated = await keys(["webhook-secret", keyId]);
    expect((await createSqliteApiKeyStore(db).findById(keyId))!.webhookSecret).toBe(rotated.at(-1));
  });

  it("--remote without --edge=workers, and reencrypt-embeddings remotely, are usage errors", async () => {
    await expect(runKeysCli(["list", "--remote"], dir, () => undefined, { runWrangler: wrangler })).rejects.toThrow(KeysCliError);
    await expect(keys(["reencrypt-embeddings"])).rejects.toThrow(KeysCliError);
    expect(calls).toEqual([]);
  });

  it("a failure wrangler reports in its JSON is an error, not an empty answer", async () => {
    const failing: WranglerRun = async () => JSON.stringify({ error: { text: "Authentication error [code: 10000]" } });
    await expect(runKeysCli(["list", "--edge=workers", "--remote"], dir, () => undefined, { runWrangler: failing })).rejects.toThrow(
      /Authentication error/,
    );
    expect(() => parseExecuteOutput("Not logged in.")).toThrow(/did not answer JSON/);
    expect(() => parseExecuteOutput(JSON.stringify([{ results: [], success: false }]))).toThrow(/failed/);
  });
});

describe("SQL literals for d1 execute", () => {
  it("writes NULL, numbers, quoted strings and blobs", () => {
    expect(sqlLiteral(null)).toBe("NULL");
    expect(sqlLiteral(undefined)).toBe("NULL");
    expect(sqlLiteral(42)).toBe("42");
    expect(sqlLiteral(-1.5)).toBe("-1.5");
    expect(sqlLiteral(true)).toBe("1");
    expect(sqlLiteral("a'b''c")).toBe("'a''b''''c'");
    expect(sqlLiteral(new Uint8Array([0, 15, 255]))).toBe("X'000fff'");
    expect(() => sqlLiteral(Number.NaN)).toThrow(TypeError);
    expect(() => sqlLiteral("a\0b")).toThrow(TypeError);
    expect(() => sqlLiteral({})).toThrow(TypeError);
  });

  it("fills placeholders in order, not inside quotes or comments, and refuses a count mismatch", () => {
    expect(inlineParams("SELECT * FROM t WHERE a = ? AND b = '?' AND \"c?\" = ? -- ?\n", ["x", 2])).toBe(
      "SELECT * FROM t WHERE a = 'x' AND b = '?' AND \"c?\" = 2 -- ?\n",
    );
    expect(inlineParams("SELECT 'it''s ?', ? /* ? */", [1])).toBe("SELECT 'it''s ?', 1 /* ? */");
    expect(() => inlineParams("SELECT ?, ?", [1])).toThrow(RangeError);
    expect(() => inlineParams("SELECT ?", [1, 2])).toThrow(RangeError);
    expect(() => inlineParams("SELECT ?1", [1])).toThrow(SyntaxError);
    // The literal runs as the value: SQLite reads back exactly what was bound.
    const row = db.prepare(inlineParams("SELECT ? AS s, ? AS n, ? AS z, ? AS b", ["o'brien; --", 7, null, new Uint8Array([1, 2])])).get();
    expect(row).toEqual({ s: "o'brien; --", n: 7, z: null, b: Buffer.from([1, 2]) });
  });
});
