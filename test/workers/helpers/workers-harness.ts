/**
 * The edge test harness (test/functions/helpers/edge-harness.ts) with the Workers edge in place of
 * the Node one: EDGE_UNDER_TEST=workers makes startHarness() return this, so the HTTP contract
 * suites run unchanged against the Worker (workerd via wrangler, D1/KV/R2/Durable Objects local).
 *
 * The Worker calls one runtime URL for both generation and face analysis; here that is a loopback
 * front that answers POST /v1/faces/analyze with the file's real face kit (shared/image intake +
 * lite pack, the same analyser the Node edge would use, so its call counts still hold) and passes
 * everything else to the stub runtime, streaming and closing as the Worker does.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { encodeEmbedding } from "../../../shared/contract/embedding.ts";
import { PHOTO_INTAKE_PROBLEMS, type FacesAnalyzeResponse } from "../../../shared/contract/faces.ts";
import { PROBLEM_CONTENT_TYPE } from "../../../shared/contract/problem.ts";
import { ImageIntakeError } from "../../../shared/image/image-intake-error.ts";
import { createD1IdentityStore } from "../../../functions/adapters/workers/d1/identity-store.ts";
import { openLocalWorkersD1, workersStateDir } from "../../../functions/cli/workers-local.ts";
import { createEmbeddingCipher, parseEmbeddingKey } from "../../../functions/crypto/embedding-cipher.ts";
import type { RunningEdge } from "../../../functions/node.ts";
import type { Harness, TestResponse } from "../../functions/helpers/edge-harness.ts";
import { startLiteFaceKit, type LiteFaceKit } from "../../functions/helpers/lite-face-kit.ts";
import { startStubRuntime, type StubRuntime } from "../../functions/helpers/stub-runtime.ts";
import { startWorkerEdge, type WorkerEdge } from "./worker-edge.ts";

export async function startWorkersHarness(opts: { faceEnv?: Record<string, string> } = {}): Promise<Harness> {
  const kit = await startLiteFaceKit(opts.faceEnv);
  // Embeddings encrypted at rest, as the Node edge keeps them (and a deployment should).
  const embeddingKey = randomBytes(32).toString("hex");
  let stub: StubRuntime | undefined;
  let front: { url: string; close(): Promise<void> } | undefined;
  let worker: WorkerEdge;
  try {
    stub = await startStubRuntime();
    front = await startRuntimeFront(stub, kit);
    const photoMax = opts.faceEnv?.PHOTO_MAX_BYTES;
    worker = await startWorkerEdge({
      runtimeUrl: front.url,
      runtimeToken: stub.token,
      vars: photoMax ? { PHOTO_MAX_BYTES: photoMax } : {},
      secrets: { EMBEDDING_KEY: embeddingKey },
    });
  } catch (err) {
    await front?.close();
    await stub?.close();
    await kit.close();
    throw err;
  }
  const keysCli = async (args: string[]) => {
    const { runKeysCli } = await import("../../../functions/cli/keys.ts");
    const lines: string[] = [];
    await runKeysCli([...args, "--edge=workers"], worker.dataDir, (l) => lines.push(l));
    return lines;
  };
  const url = worker.url;
  const edge = { url, port: Number(new URL(url).port), close: () => worker.close() } as unknown as RunningEdge;
  const frontRef = front;
  const stubRef = stub;
  return {
    url,
    dataDir: worker.dataDir,
    edge,
    stub,
    kit,
    keysCli,
    async createKey(userId, flags = []) {
      const lines = await keysCli(["create", "--user", userId, ...flags]);
      return lines[lines.length - 1];
    },
    fetch: (path, init) => worker.fetch(path, init) as Promise<TestResponse>,
    queryRows: (sql, ...params) => worker.queryD1(sql, ...params),
    async storedIdentity(userId, id) {
      const d1 = await openLocalWorkersD1(workersStateDir(worker.dataDir));
      try {
        return await createD1IdentityStore(d1.db, createEmbeddingCipher(parseEmbeddingKey(embeddingKey), [])).get(userId, id);
      } finally {
        await d1.close();
      }
    },
    storedImageKeys: () => worker.r2Keys(),
    async close() {
      await worker.close();
      await frontRef.close();
      await stubRef.close();
      await kit.close();
    },
  };
}

async function startRuntimeFront(stub: StubRuntime, kit: LiteFaceKit): Promise<{ url: string; close(): Promise<void> }> {
  const problem = (res: ServerResponse, status: number, code: string, detail: string) => {
    res.writeHead(status, { "content-type": PROBLEM_CONTENT_TYPE });
    res.end(JSON.stringify({ type: "about:blank", title: code, status, code, detail }));
  };

  const analyse = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.headers.authorization !== `Bearer ${stub.token}`) return problem(res, 401, "unauthorized", "bad runtime token");
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    try {
      const image = await kit.decodePhoto(new Uint8Array(Buffer.concat(chunks)));
      const faces = await kit.analyser.analyse(image);
      const body: FacesAnalyzeResponse = {
        pack: kit.analyser.pack,
        imageWidth: image.width,
        imageHeight: image.height,
        faces: faces.map((f) => ({
          bbox: [...f.bbox],
          score: f.score,
          kps: f.kps.map(([x, y]) => [x, y] as [number, number]),
          embedding: encodeEmbedding(f.embedding),
          pack: f.pack,
        })),
      };
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    } catch (e) {
      if (e instanceof ImageIntakeError && Object.hasOwn(PHOTO_INTAKE_PROBLEMS, e.code)) {
        return problem(res, PHOTO_INTAKE_PROBLEMS[e.code as keyof typeof PHOTO_INTAKE_PROBLEMS].status, e.code, e.message);
      }
      problem(res, 500, "internal_error", "face analysis failed");
    }
  };

  const pass = async (req: IncomingMessage, res: ServerResponse) => {
    const abort = new AbortController();
    res.on("close", () => abort.abort());
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string" && k !== "host" && k !== "content-length") headers.set(k, v);
    try {
      const upstream = await fetch(`${stub.url}${req.url}`, {
        method: req.method,
        headers,
        body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
        signal: abort.signal,
      });
      res.writeHead(upstream.status, Object.fromEntries(upstream.headers));
      res.flushHeaders();
      if (!upstream.body) return res.end();
      Readable.fromWeb(upstream.body as never).on("error", () => res.destroy()).pipe(res);
    } catch {
      res.destroy();
    }
  };

  const server: Server = createServer((req, res) => {
    const handle = req.method === "POST" && req.url === "/v1/faces/analyze" ? analyse : pass;
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
