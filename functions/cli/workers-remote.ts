/**
 * The deployed Worker's D1 from Node: what `npm run keys -- <command> --edge=workers --remote` uses.
 * Each statement of the D1 stores (the same SQL the Worker and the local run execute) goes to
 *   wrangler d1 execute <database> --remote --json --config <wrangler.toml> --command <sql>
 * with its bound values written into the SQL as literals, because `d1 execute` takes no parameters.
 * wrangler authenticates as for a deploy (`wrangler login`, or CLOUDFLARE_API_TOKEN and
 * CLOUDFLARE_ACCOUNT_ID in the environment). One statement per wrangler run: slow, fine for keys.
 */
import { execFile } from "node:child_process";
import { unstable_readConfig } from "wrangler";
import type { D1Like, D1LikeStatement } from "../adapters/workers/d1/d1-like.ts";
import { createD1ApiKeyStore } from "../adapters/workers/d1/api-key-store.ts";
import type { ApiKeyStore } from "../stores/api-key-store.ts";
import { WRANGLER_BIN, WRANGLER_CONFIG, wranglerEnv } from "./workers-local.ts";

/** Runs wrangler with `args` and resolves with its stdout; rejects when it fails. */
export type WranglerRun = (args: readonly string[]) => Promise<string>;

/** A value as an SQLite literal: NULL, a number, a quoted string, or a blob X'..'. */
export function sqlLiteral(value: unknown): string {
  if (value === null || value === undefined) return "NULL";
  if (typeof value === "boolean") return value ? "1" : "0";
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError(`cannot write ${value} as an SQL literal`);
    return String(value);
  }
  if (typeof value === "string") {
    if (value.includes("\0")) throw new TypeError("cannot write a string with a NUL character as an SQL literal");
    return `'${value.replaceAll("'", "''")}'`;
  }
  if (value instanceof Uint8Array || value instanceof ArrayBuffer) {
    return `X'${Buffer.from(value instanceof ArrayBuffer ? new Uint8Array(value) : value).toString("hex")}'`;
  }
  throw new TypeError(`cannot write a ${typeof value} as an SQL literal`);
}

/**
 * `sql` with each `?` placeholder replaced by the literal of the next value. Placeholders inside
 * quoted strings, quoted identifiers and comments are left alone; a count mismatch is an error.
 */
export function inlineParams(sql: string, params: readonly unknown[]): string {
  let out = "";
  let next = 0;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!;
    if (c === "'" || c === '"' || c === "`") {
      const end = sql.indexOf(c, i + 1);
      if (end < 0) throw new SyntaxError("unterminated quote in SQL");
      out += sql.slice(i, end + 1);
      i = end;
    } else if (c === "-" && sql[i + 1] === "-") {
      const end = sql.indexOf("\n", i);
      out += end < 0 ? sql.slice(i) : sql.slice(i, end);
      i = end < 0 ? sql.length : end - 1;
    } else if (c === "/" && sql[i + 1] === "*") {
      const end = sql.indexOf("*/", i + 2);
      if (end < 0) throw new SyntaxError("unterminated comment in SQL");
      out += sql.slice(i, end + 2);
      i = end + 1;
    } else if (c === "?") {
      if (/[0-9]/.test(sql[i + 1] ?? "")) throw new SyntaxError("numbered placeholders (?NNN) are not supported");
      if (next >= params.length) throw new RangeError(`the SQL has more placeholders than the ${params.length} values bound`);
      out += sqlLiteral(params[next++]);
    } else {
      out += c;
    }
  }
  if (next !== params.length) throw new RangeError(`${params.length} values bound to ${next} placeholders`);
  return out;
}

/** wrangler's arguments to run one statement on the deployed database. */
export function remoteD1ExecuteArgs(database: string, sql: string, configPath = WRANGLER_CONFIG): string[] {
  return ["d1", "execute", database, "--remote", "--json", "--config", configPath, "--command", sql];
}

/** The name of the D1 database bound as DB in the wrangler configuration. */
export function remoteDatabaseName(configPath = WRANGLER_CONFIG): string {
  const { d1_databases } = unstable_readConfig({ config: configPath });
  const db = (d1_databases as { binding?: string; database_name?: string }[]).find((d) => d.binding === "DB");
  if (!db?.database_name) throw new Error(`no D1 database bound as DB in ${configPath}`);
  return db.database_name;
}

interface ExecuteResult {
  readonly results?: Record<string, unknown>[];
  readonly success?: boolean;
  readonly meta?: { readonly changes?: number };
  readonly error?: { readonly text?: string };
}

/** The result of the one statement in `d1 execute --json` output (an array with one entry per statement). */
export function parseExecuteOutput(stdout: string): { results: Record<string, unknown>[]; changes: number } {
  const text = stdout.trim();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.slice(Math.max(0, text.search(/^[[{]/m))));
  } catch {
    throw new Error(`wrangler d1 execute did not answer JSON: ${text.slice(0, 200)}`);
  }
  const result = (Array.isArray(parsed) ? parsed.at(-1) : parsed) as ExecuteResult | undefined;
  if (!result || result.error || result.success === false) {
    throw new Error(`wrangler d1 execute failed: ${result?.error?.text ?? JSON.stringify(result).slice(0, 200)}`);
  }
  return { results: result.results ?? [], changes: result.meta?.changes ?? 0 };
}

/** A D1Like over `wrangler d1 execute --remote`: every statement one wrangler run. */
export function createRemoteD1(database: string, run: WranglerRun, configPath = WRANGLER_CONFIG): D1Like {
  const statement = (sql: string, params: readonly unknown[]): D1LikeStatement => {
    const execute = async () => parseExecuteOutput(await run(remoteD1ExecuteArgs(database, inlineParams(sql, params), configPath)));
    return {
      bind: (...values) => statement(sql, values),
      async first<T>() {
        return ((await execute()).results[0] as T | undefined) ?? null;
      },
      async run() {
        return { meta: { changes: (await execute()).changes } };
      },
      async all<T>() {
        return { results: (await execute()).results as T[] };
      },
    };
  };
  return { prepare: (sql) => statement(sql, []) };
}

/** Runs the project's wrangler; its stderr (login prompts, errors) is passed on in the error. */
export const runWrangler: WranglerRun = (args) =>
  new Promise((resolve, reject) => {
    execFile(WRANGLER_BIN, [...args], { env: wranglerEnv(), maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`wrangler ${args.slice(0, 4).join(" ")} failed: ${(stderr || stdout || error.message).trim()}`));
      else resolve(stdout);
    });
  });

/** The deployed Worker's api-key store. */
export function openRemoteWorkersApiKeyStore(
  run: WranglerRun = runWrangler,
  configPath = WRANGLER_CONFIG,
): { store: ApiKeyStore; close(): Promise<void> } {
  return { store: createD1ApiKeyStore(createRemoteD1(remoteDatabaseName(configPath), run, configPath)), close: async () => undefined };
}
