/**
 * The Node edge (functions/node.ts) as a real child process, for memory and fault tests: its own
 * DATA_DIR, a free loopback port, ready when it prints its URL. Peak RSS comes from
 * /proc/<pid>/status (VmHWM), so it is the kernel's number for that process alone.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { REPO_ROOT } from "../../scripts/helpers/npm-start.ts";

export interface EdgeProcess {
  readonly url: string;
  readonly child: ChildProcess;
  output(): string;
  /** Peak resident set in bytes (VmHWM), undefined where /proc is missing. */
  peakRss(): number | undefined;
  rss(): number | undefined;
  stop(): Promise<void>;
}

function procStatus(pid: number, field: "VmHWM" | "VmRSS"): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

export async function startEdgeProcess(env: Record<string, string>): Promise<EdgeProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "functions/node.ts"], {
    cwd: REPO_ROOT,
    env: { ...process.env, HOST: "127.0.0.1", PORT: "0", RUNTIME_TOKEN: "fault-test-token", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /edge listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code, signal) => reject(new Error(`edge exited (${signal ?? code}) before listening:\n${out}`)));
  });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
  return {
    url,
    child,
    output: () => out,
    peakRss: () => procStatus(child.pid!, "VmHWM"),
    rss: () => procStatus(child.pid!, "VmRSS"),
    async stop() {
      child.kill("SIGTERM");
      await exited;
    },
  };
}
