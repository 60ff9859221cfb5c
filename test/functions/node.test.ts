import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startEdge } from "../../functions/node.ts";
import { runKeysCli } from "../../functions/cli/keys.ts";
import type { FaceKit } from "../../functions/adapters/node/face-kit.ts";
import { photoForm, readEvents, readFace } from "./helpers/edge-harness.ts";
import { startLiteFaceKit, type LiteFaceKit } from "./helpers/lite-face-kit.ts";
import { startStubRuntime } from "./helpers/stub-runtime.ts";

// One analyser for the file; each edge below borrows it.
let kit: LiteFaceKit;
beforeAll(async () => {
  kit = await startLiteFaceKit();
});
afterAll(() => kit?.close());

/** The file's kit, recording how often an edge closes the analyser it was given. */
function closeRecordingKit(): FaceKit & { closes: number } {
  const recording = {
    closes: 0,
    decodePhoto: kit.decodePhoto,
    async createFaceAnalyser() {
      const borrowed = await kit.createFaceAnalyser();
      return { pack: borrowed.pack, analyse: borrowed.analyse, close: async () => void recording.closes++ };
    },
  };
  return recording;
}

describe("Node entry lifecycle", () => {
  it("closes the face analyser it created, once, when the edge closes", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "edge-node-"));
    const stub = await startStubRuntime();
    const faceKit = closeRecordingKit();
    try {
      const edge = await startEdge({ dataDir, runtimeUrl: stub.url, runtimeToken: stub.token, faceKit, port: 0, log: () => undefined });
      expect((await fetch(`${edge.url}/healthz`)).status).toBe(200);
      expect(faceKit.closes).toBe(0);
      await Promise.all([edge.close(), edge.close()]);
      expect(faceKit.closes).toBe(1);
    } finally {
      await stub.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("a start that fails (port taken) closes the analyser it had been given", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "edge-node-"));
    const stub = await startStubRuntime();
    const opts = { dataDir, runtimeUrl: stub.url, runtimeToken: stub.token, log: () => undefined };
    const first = await startEdge({ ...opts, faceKit: kit, port: 0 });
    const faceKit = closeRecordingKit();
    try {
      const failed = await startEdge({ ...opts, faceKit, port: first.port }).then(
        () => null,
        (e: unknown) => e as NodeJS.ErrnoException,
      );
      expect(failed?.code).toBe("EADDRINUSE");
      expect(faceKit.closes).toBe(1);
    } finally {
      await first.close();
      await stub.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("shutdown fails running generations explicitly; a restart fails those a crash left running", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "edge-node-"));
    const stub = await startStubRuntime();
    const start = () =>
      startEdge({
        dataDir,
        runtimeUrl: stub.url,
        runtimeToken: stub.token,
        faceKit: kit,
        port: 0,
        log: () => undefined,
      });
    try {
      const lines: string[] = [];
      await runKeysCli(["create", "--user", "u"], dataDir, (l) => lines.push(l));
      const key = lines.at(-1)!;
      const auth = { authorization: `Bearer ${key}` };
      const edge = await start();
      const identity = (await (
        await fetch(`${edge.url}/v1/identities`, { method: "POST", headers: auth, body: photoForm(await readFace("astronaut.png")) })
      ).json()) as { id: string };

      stub.behaviour = "hang";
      const disconnected = stub.nextDisconnect();
      const res = await fetch(`${edge.url}/v1/generations`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json", accept: "text/event-stream" },
        body: JSON.stringify({ identityId: identity.id, prompt: "p", width: 64, height: 64, steps: 2 }),
      });
      const id = res.headers.get("location")!.split("/").pop()!;
      const events = readEvents(res as never);
      await edge.close();
      expect((await events).at(-1)).toMatchObject({ event: "error", data: { code: "edge_shutting_down" } });
      expect(await disconnected).toBe(id);

      // A crash leaves a generation "running"; the next start fails it.
      const Database = (await import("better-sqlite3")).default;
      const db = new Database(join(dataDir, "edge.sqlite"));
      db.prepare(
        `INSERT INTO generations (id, user_id, identity_id, status, settings, progress_total, created_ms)
         SELECT 'gen_crashed', user_id, identity_id, 'running', settings, progress_total, created_ms FROM generations WHERE id = ?`,
      ).run(id);
      db.close();

      const again = await start();
      const crashed = (await (await fetch(`${again.url}/v1/generations/gen_crashed`, { headers: auth })).json()) as {
        status: string;
        error: { code: string };
      };
      expect(crashed).toMatchObject({ status: "failed", error: { code: "edge_restarted" } });
      const g = (await (await fetch(`${again.url}/v1/generations/${id}`, { headers: auth })).json()) as {
        status: string;
        error: { code: string };
      };
      expect(g.status).toBe("failed");
      expect(g.error.code).toBe("edge_shutting_down");
      await again.close();
    } finally {
      await stub.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
