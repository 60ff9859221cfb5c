/**
 * The real `npm start` (scripts/start.ts) as a child process for end-to-end tests: free loopback
 * ports, a DATA_DIR of the test's choosing, ready when the dev key line is printed. The child pids
 * come from start.ts's "[start] <name> pid N" lines, so a test can signal one child or check that
 * none outlived the parent.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { connect, createServer, type Server } from "node:net";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const HOST = "127.0.0.1";

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface NpmStart {
  readonly edgeUrl: string;
  readonly runtimeUrl: string;
  readonly edgePort: number;
  readonly runtimePort: number;
  readonly dataDir: string;
  /** The dev API key npm start printed. */
  readonly key: string;
  readonly pids: { readonly runtime: number; readonly edge: number; readonly start: number };
  /** Settles when the npm start process exits, whoever caused it. */
  readonly exited: Promise<Exit>;
  /** Everything written to stdout / stderr so far (the children's output included). */
  stdout(): string;
  stderr(): string;
  /** Ctrl-C: SIGINT to npm start, then waits for it to exit. */
  stop(): Promise<Exit>;
}

/** Distinct ports nothing listens on now (all held open together so none repeats). */
export async function freePorts(n: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const s = createServer();
      servers.push(s);
      await new Promise<void>((resolve, reject) => {
        s.once("error", reject);
        s.listen(0, HOST, () => resolve());
      });
    }
    return servers.map((s) => (s.address() as { port: number }).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

/** True when a TCP connect to the loopback port is refused (nothing listens). */
export function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: HOST, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", (e: NodeJS.ErrnoException) => (e.code === "ECONNREFUSED" ? resolve(true) : reject(e)));
  });
}

/** True while a process with this pid exists (signal 0 checks without signalling). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw e;
  }
}

const KEY_LINE = /^(iid_\S+)$/m;
const pidLine = (name: string) => new RegExp(`^\\[start\\] ${name} pid (\\d+)$`, "m");

/** Spawns `node --import tsx scripts/start.ts` and waits for the dev key and both child pids. */
export async function startNpmStart(opts: { dataDir: string; readyTimeoutMs?: number }): Promise<NpmStart> {
  const [edgePort, runtimePort] = await freePorts(2);
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "scripts/start.ts"], {
    cwd: REPO_ROOT,
    env: { ...process.env, PORT: String(edgePort), RUNTIME_PORT: String(runtimePort), DATA_DIR: opts.dataDir },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout!.setEncoding("utf8").on("data", (s: string) => (out += s));
  child.stderr!.setEncoding("utf8").on("data", (s: string) => (err += s));
  const exited = new Promise<Exit>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));

  const deadline = Date.now() + (opts.readyTimeoutMs ?? 60_000);
  let exit: Exit | undefined;
  void exited.then((e) => (exit = e));
  for (;;) {
    const key = KEY_LINE.exec(out)?.[1];
    const runtimePid = pidLine("runtime").exec(err)?.[1];
    const edgePid = pidLine("edge").exec(err)?.[1];
    if (key && runtimePid && edgePid) {
      return {
        edgeUrl: `http://${HOST}:${edgePort}`,
        runtimeUrl: `http://${HOST}:${runtimePort}`,
        edgePort,
        runtimePort,
        dataDir: opts.dataDir,
        key,
        pids: { runtime: Number(runtimePid), edge: Number(edgePid), start: child.pid! },
        exited,
        stdout: () => out,
        stderr: () => err,
        stop() {
          if (exit === undefined) child.kill("SIGINT");
          return exited;
        },
      };
    }
    if (exit !== undefined || Date.now() > deadline) {
      if (exit === undefined) {
        child.kill("SIGINT");
        await exited;
      }
      throw new Error(`npm start did not become ready (exit ${JSON.stringify(exit)}):\n${out}\n${err}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
