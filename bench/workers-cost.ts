/**
 * What the local Workers edge spends per request: CPU time of its workerd process (from
 * /proc/<pid>/stat, Linux) over sequential requests. Run against `npm start -- --edge=workers`:
 *   npx tsx bench/workers-cost.ts --url http://127.0.0.1:8787 --key <key> --pid <workerd pid> \
 *     --generation <id> --identity <id> [--requests 200]
 * Locally one workerd process also runs the D1, KV, R2 and Durable Object simulators, so the
 * numbers are an upper bound on the Worker's own CPU time (Cloudflare bills the Worker's alone).
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    url: { type: "string", default: "http://127.0.0.1:8787" },
    key: { type: "string" },
    pid: { type: "string" },
    generation: { type: "string" },
    identity: { type: "string" },
    requests: { type: "string", default: "200" },
  },
});
if (!values.key || !values.pid) throw new Error("--key and --pid are required (see the header comment)");
const ticksPerSecond = 100; // USER_HZ on Linux
const cpuMs = (): number => {
  const fields = readFileSync(`/proc/${values.pid}/stat`, "utf8").split(") ")[1].split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond; // utime + stime
};
const n = Number(values.requests);
const auth = { authorization: `Bearer ${values.key}` };

async function measure(name: string, path: string, headers: Record<string, string> = auth): Promise<void> {
  for (let i = 0; i < 10; i++) await (await fetch(`${values.url}${path}`, { headers })).arrayBuffer(); // warm
  const c0 = cpuMs();
  const t0 = performance.now();
  let status = 0;
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${values.url}${path}`, { headers });
    status = res.status;
    await res.arrayBuffer();
  }
  const wall = (performance.now() - t0) / n;
  console.log(`${name.padEnd(34)} status ${status}  workerd CPU ${((cpuMs() - c0) / n).toFixed(2)} ms/request  wall ${wall.toFixed(1)} ms`);
}

await measure("GET /healthz (no bindings)", "/healthz", {});
await measure("GET /v1/identities/<unknown>", "/v1/identities/idn_none");
if (values.identity) await measure("GET /v1/identities/<id>", `/v1/identities/${values.identity}`);
if (values.generation) await measure("GET /v1/generations/<succeeded>", `/v1/generations/${values.generation}`);
if (values.generation) await measure("GET /v1/generations/<id>/images/0", `/v1/generations/${values.generation}/images/0`);
