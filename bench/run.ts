/** npm run bench -- <name> [args]: runs bench/<name>.ts (each prints its own numbers). */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

const [name, ...args] = process.argv.slice(2).filter((a) => a !== "--");
const available = readdirSync(import.meta.dirname).filter((f) => f.endsWith(".ts") && f !== "run.ts").map((f) => f.slice(0, -3));
if (!name || !existsSync(join(import.meta.dirname, `${name}.ts`))) {
  console.error(`usage: npm run bench -- <${available.join("|")}> [args]`);
  process.exit(2);
}
const r = spawnSync(process.execPath, ["--import", "tsx", join(import.meta.dirname, `${name}.ts`), ...args], { stdio: "inherit" });
process.exit(r.status ?? 1);
