/**
 * npm run bench -- soak [--seconds N] [--rate R] [--json]
 *
 * Mixed traffic against a real edge process and a real GPU runtime process (tiny pack, cpu), at
 * the API key's request rate limit, for a configurable time: photo registrations (new and repeated
 * photos), identity reads, small generations (polled to the end, their images fetched), unknown
 * ids, and requests with a wrong key. Prints requests, answers by status and problem code, the
 * edge's RSS at start, peak and end (from /proc, the edge process alone) and the RSS slope over
 * the second half of the run (MB/min: a leak shows as a steady positive slope).
 *
 * --seconds: how long (default 60; CI runs a short one). --rate: requests per second, also the
 * key's limit (default 8/s = 480/min). Exits 1 if any answer was a 5xx other than a retryable 503.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import sharp from "sharp";
import { runKeysCli } from "../functions/cli/keys.ts";
import { ensureTinyPack } from "../models/tiny/ensure-tiny-pack.ts";

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: { seconds: { type: "string", default: "60" }, rate: { type: "string", default: "8" }, json: { type: "boolean", default: false } },
});
const seconds = Number(values.seconds);
const rate = Number(values.rate);
if (!(seconds > 0) || !(rate > 0)) throw new Error("--seconds and --rate must be positive numbers");

const root = join(import.meta.dirname, "..");
const MB = 1024 * 1024;
const TOKEN = "soak-runtime-token-0123456789";

function startChild(entry: string, env: Record<string, string>, ready: RegExp): Promise<{ proc: ChildProcess; match: RegExpExecArray }> {
  const proc = spawn(process.execPath, ["--import", "tsx", join(root, entry)], { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.length > 100_000) out = out.slice(-50_000);
      const m = ready.exec(out);
      if (m) resolve({ proc, match: m });
    };
    proc.stdout!.on("data", onData);
    proc.stderr!.on("data", onData);
    proc.once("exit", (code) => reject(new Error(`${entry} exited (${code}) before it was ready:\n${out}`)));
  });
}

function rssOf(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** Least-squares slope of (t seconds, bytes) in MB per minute. */
function slopeMbPerMin(samples: { t: number; rss: number }[]): number {
  const n = samples.length;
  if (n < 2) return 0;
  const mt = samples.reduce((a, s) => a + s.t, 0) / n;
  const mr = samples.reduce((a, s) => a + s.rss, 0) / n;
  let num = 0;
  let den = 0;
  for (const s of samples) {
    num += (s.t - mt) * (s.rss - mr);
    den += (s.t - mt) ** 2;
  }
  return den > 0 ? ((num / den) * 60) / MB : 0;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), "soak-"));
  const children: ChildProcess[] = [];
  try {
    const packDir = await ensureTinyPack();
    const runtime = await startChild(
      "gpu-runtime/main.ts",
      { RUNTIME_TOKEN: TOKEN, RUNTIME_PORT: "0", RUNTIME_PACK_DIR: packDir, RUNTIME_THREADS: "1" },
      /listening on (http:\/\/[\d.:]+)/,
    );
    children.push(runtime.proc);
    const edge = await startChild(
      "functions/node.ts",
      { RUNTIME_TOKEN: TOKEN, RUNTIME_URL: runtime.match[1]!, PORT: "0", DATA_DIR: dataDir, FACE_WORKERS: "1", ACCESS_LOG: "0" },
      /edge listening on (http:\/\/\S+)/,
    );
    children.push(edge.proc);
    const url = edge.match[1]!;
    const lines: string[] = [];
    const perMinute = String(rate * 60);
    await runKeysCli(["create", "--user", "soak", "--requests-burst", String(Math.max(1, Math.ceil(rate))), "--requests-per-minute", perMinute, "--cost-burst", "1e12", "--cost-per-minute", "1e12", "--max-in-flight", "64"], dataDir, (l) => lines.push(l));
    const key = lines.at(-1)!;

    const faces = ["astronaut.png", "grace_hopper.jpg", "camera.png", "sample1.jpg"].map((f) => readFileSync(join(root, "test/fixtures/faces", f)));
    let variant = 0;
    const newPhoto = async () => sharp(faces[variant % faces.length]).modulate({ brightness: 1 + (variant++ % 50) / 500 }).jpeg().toBuffer();
    const identities: string[] = [];
    const generations: string[] = [];
    const counts = new Map<string, number>();
    let requests = 0;
    let bad = 0;
    let lastWrongKey = 0;
    const call = async (path: string, init: RequestInit & { auth?: string } = {}): Promise<Response | undefined> => {
      requests++;
      try {
        const res = await fetch(`${url}${path}`, { ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${init.auth ?? key}` } });
        let label = String(res.status);
        if (res.status >= 400) {
          const body = (await res.clone().json().catch(() => ({}))) as { code?: string; retryable?: boolean };
          label += ` ${body.code ?? "?"}`;
          if (res.status >= 500 && !(res.status === 503 && body.retryable)) bad++;
        }
        counts.set(label, (counts.get(label) ?? 0) + 1);
        return res;
      } catch (e) {
        const cause = (e as { cause?: { code?: string; message?: string } }).cause;
        const label = `network ${(e as Error).message}${cause ? ` (${cause.code ?? cause.message})` : ""}`;
        counts.set(label, (counts.get(label) ?? 0) + 1);
        bad++;
        return undefined;
      }
    };
    const form = (bytes: Uint8Array) => {
      const f = new FormData();
      f.append("image", new Blob([new Uint8Array(bytes)]), "photo.jpg");
      return f;
    };
    const actions: (() => Promise<void>)[] = [
      async () => {
        const res = await call("/v1/identities", { method: "POST", body: form(await newPhoto()) });
        if (res?.status === 201 || res?.status === 200) identities.push(((await res.json()) as { id: string }).id);
        else await res?.body?.cancel();
      },
      async () => {
        const res = await call("/v1/identities", { method: "POST", body: form(faces[0]!) });
        await res?.body?.cancel();
      },
      async () => {
        const id = identities[Math.floor(Math.random() * identities.length)];
        await (await call(`/v1/identities/${id ?? "idn_none"}`))?.body?.cancel();
      },
      async () => {
        const id = identities[Math.floor(Math.random() * identities.length)];
        if (!id) return;
        const res = await call("/v1/generations", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ identityId: id, prompt: "soak", width: 64, height: 64, steps: 2 }),
        });
        if (res?.status === 202) generations.push(((await res.json()) as { id: string }).id);
        else await res?.body?.cancel();
      },
      async () => {
        const id = generations.shift();
        if (!id) return;
        const res = await call(`/v1/generations/${id}`);
        const g = res?.ok ? ((await res.json()) as { status: string }) : undefined;
        if (g?.status === "succeeded") await (await call(`/v1/generations/${id}/images/0`))?.body?.cancel();
        else if (g && (g.status === "queued" || g.status === "running")) generations.push(id);
      },
      async () => void (await call("/v1/generations/gen_missing"))?.body?.cancel(),
      async () => {
        // Wrong keys at 12 a minute, under the per-address failure limit (20/min): past it, every
        // request from this address (valid keys too) would be 429 auth_rate_limited.
        if (Date.now() - lastWrongKey < 5_000) return;
        lastWrongKey = Date.now();
        await (await call("/v1/identities/idn_x", { auth: "iid_wrong" }))?.body?.cancel();
      },
    ];

    const started = Date.now();
    const samples: { t: number; rss: number }[] = [];
    const sample = () => samples.push({ t: (Date.now() - started) / 1000, rss: rssOf(edge.proc.pid!) });
    sample();
    const sampler = setInterval(sample, 1000);
    const inFlight = new Set<Promise<void>>();
    const interval = 1000 / rate;
    for (let i = 0; Date.now() - started < seconds * 1000; i++) {
      const p: Promise<void> = actions[i % actions.length]!().finally(() => inFlight.delete(p));
      inFlight.add(p);
      const next = started + (i + 1) * interval;
      await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
    }
    await Promise.all(inFlight);
    sample();
    clearInterval(sampler);

    const rss = samples.map((s) => s.rss);
    const secondHalf = samples.filter((s) => s.t >= seconds / 2);
    const report = {
      seconds,
      ratePerSecond: rate,
      requests,
      answers: Object.fromEntries([...counts].sort()),
      unexpected5xx: bad,
      edgeRssMb: { start: +(rss[0]! / MB).toFixed(1), peak: +(Math.max(...rss) / MB).toFixed(1), end: +(rss.at(-1)! / MB).toFixed(1) },
      rssSlopeMbPerMinSecondHalf: +slopeMbPerMin(secondHalf).toFixed(2),
    };
    if (values.json) console.log(JSON.stringify(report));
    else {
      console.log(`soak: ${requests} requests in ${seconds} s at ${rate}/s`);
      for (const [k, v] of Object.entries(report.answers)) console.log(`  ${k.padEnd(40)} ${v}`);
      console.log(`  edge RSS start ${report.edgeRssMb.start} MB, peak ${report.edgeRssMb.peak} MB, end ${report.edgeRssMb.end} MB; slope (second half) ${report.rssSlopeMbPerMinSecondHalf} MB/min`);
      console.log(`  unexpected 5xx: ${bad}`);
    }
    process.exitCode = bad > 0 ? 1 : 0;
  } finally {
    for (const c of children) c.kill("SIGTERM");
    await Promise.all(children.map((c) => (c.exitCode !== null || c.signalCode !== null ? undefined : new Promise((r) => c.once("exit", r)))));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
