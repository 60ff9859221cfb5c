/**
 * Webhooks on the Workers edge (workerd via wrangler, local D1 and Durable Objects), to a receiver
 * on loopback, as test/functions/webhooks/webhooks.test.ts checks them on Node: generation.*
 * deliveries signed per Standard Webhooks (verified with node:crypto), a refused attempt retried
 * after the backoff with the same webhook-id, a delivery pending when the Worker stops sent by the
 * restarted Worker (the outbox is in D1, the dispatcher object's alarm is durable), a generation
 * running when the Worker stops failed by its object after the restart and announced, a key
 * without a signing secret told how to make one, and literal private addresses refused by default.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createD1ApiKeyStore } from "../../functions/adapters/workers/d1/api-key-store.ts";
import { createD1IdentityStore } from "../../functions/adapters/workers/d1/identity-store.ts";
import { issueApiKey } from "../../functions/api-keys/issue-api-key.ts";
import { runKeysCli } from "../../functions/cli/keys.ts";
import { openLocalWorkersD1, workersStateDir } from "../../functions/cli/workers-local.ts";
import { startStubRuntime, type StubRuntime } from "../functions/helpers/stub-runtime.ts";
import { startReceiver, verifyDelivery, type WebhookReceiver } from "../functions/webhooks/webhook-receiver.ts";
import { sampleIdentity, startWorkerEdge } from "./helpers/worker-edge.ts";

const IDENTITY = sampleIdentity("idt_webhooks000000000001", "hooked");

/** First retry after 0.75-1.5 s: long enough to stop the Worker before it, short for the test. */
const RETRY_BASE_MS = 1_500;

interface RunningWorker {
  readonly url: string;
  stop(): Promise<void>;
}

/** The Worker on `dataDir`'s local state (kept between starts, as wrangler dev --persist-to keeps it). */
async function startWorker(dataDir: string, runtime: StubRuntime, vars: Record<string, string>): Promise<RunningWorker> {
  const edge = await startWorkerEdge({ runtimeUrl: runtime.url, runtimeToken: runtime.token, vars, dataDir });
  return { url: edge.url, stop: () => edge.close() };
}

async function keys(dataDir: string, args: string[]): Promise<string[]> {
  const lines: string[] = [];
  await runKeysCli([...args, "--edge=workers"], dataDir, (l) => lines.push(l));
  return lines;
}

async function withD1<T>(dataDir: string, use: (db: Awaited<ReturnType<typeof openLocalWorkersD1>>["db"]) => Promise<T>): Promise<T> {
  const d1 = await openLocalWorkersD1(workersStateDir(dataDir));
  try {
    return await use(d1.db);
  } finally {
    await d1.close();
  }
}

let stub: StubRuntime;
let receiver: WebhookReceiver;
beforeAll(async () => {
  stub = await startStubRuntime();
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver?.close();
  await stub?.close();
});

describe("webhooks on the Workers edge (WEBHOOK_ALLOW_PRIVATE=1)", () => {
  const vars = { WEBHOOK_ALLOW_PRIVATE: "1", WEBHOOK_RETRY_BASE_MS: String(RETRY_BASE_MS), GENERATION_SILENCE_MS: "20000" };
  let dataDir: string;
  let worker: RunningWorker | undefined;
  let key: string;
  let keyId: string;
  let secret: string;

  const generate = (body: Record<string, unknown> = {}, apiKey = key) =>
    fetch(`${worker!.url}/v1/generations`, {
      method: "POST",
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ identityId: IDENTITY.id, prompt: "p", width: 64, height: 64, steps: 2, webhookUrl: receiver.url, ...body }),
    });

  const restart = async (between: () => void = () => undefined) => {
    await worker!.stop();
    worker = undefined;
    between();
    worker = await startWorker(dataDir, stub, vars);
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "edge-workers-webhooks-"));
    const lines = await keys(dataDir, ["create", "--user", IDENTITY.userId, "--requests-burst", "10000", "--requests-per-minute", "10000"]);
    key = lines.at(-1)!;
    const secretLine = lines.find((l) => l.startsWith("webhook signing secret"))!;
    secret = secretLine.slice(secretLine.lastIndexOf(" ") + 1);
    keyId = /of key (\S+)/.exec(secretLine)![1]!;
    await withD1(dataDir, (db) => createD1IdentityStore(db).insertOrGet(IDENTITY));
    worker = await startWorker(dataDir, stub, vars);
  }, 240_000);
  afterAll(async () => {
    await worker?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("POSTs generation.succeeded, signed with the key's secret", async () => {
    stub.behaviour = "complete";
    receiver.status = 200;
    const before = receiver.deliveries.length;
    const res = await generate();
    expect(res.status).toBe(202);
    const g = (await res.json()) as { id: string };
    await receiver.count(before + 1);
    const d = receiver.deliveries[before]!;
    expect(d.headers["content-type"]).toBe("application/json");
    expect(d.headers["webhook-id"]).toMatch(/^msg_/);
    expect(Math.abs(Number(d.headers["webhook-timestamp"]) - Date.now() / 1000)).toBeLessThan(600);
    expect(verifyDelivery(secret, d)).toBe(true);
    expect(verifyDelivery(secret, { ...d, body: d.body.replace("succeeded", "failed") })).toBe(false);
    const payload = JSON.parse(d.body);
    expect(payload.type).toBe("generation.succeeded");
    expect(payload.data).toMatchObject({ id: g.id, status: "succeeded" });
    expect(payload.data.images).toHaveLength(1);
    // The same view of the generation as GET answers.
    const view = await (await fetch(`${worker!.url}/v1/generations/${g.id}`, { headers: { authorization: `Bearer ${key}` } })).json();
    expect(payload.data).toEqual(view);
  });

  it("retries a refused delivery after the backoff, with the same webhook-id", async () => {
    stub.behaviour = "complete";
    receiver.status = 500;
    const before = receiver.deliveries.length;
    expect((await generate()).status).toBe(202);
    await receiver.count(before + 1);
    receiver.status = 200;
    while (!receiver.deliveries.slice(before).some((d) => d.answered === 200)) await receiver.count(receiver.deliveries.length + 1);
    const attempts = receiver.deliveries.slice(before);
    expect(attempts[0]!.answered).toBe(500);
    expect(new Set(attempts.map((d) => d.headers["webhook-id"])).size).toBe(1);
    // The first retry waits at least half the base delay (full jitter in the upper half).
    expect(attempts[1]!.receivedMs - attempts[0]!.receivedMs).toBeGreaterThanOrEqual(RETRY_BASE_MS / 2 - 50);
    expect(verifyDelivery(secret, attempts.at(-1)!)).toBe(true);
  });

  it("announces a cancel as generation.cancelled", async () => {
    stub.behaviour = "hang";
    receiver.status = 200;
    const before = receiver.deliveries.length;
    const g = (await (await generate()).json()) as { id: string };
    const cancel = await fetch(`${worker!.url}/v1/generations/${g.id}/cancel`, { method: "POST", headers: { authorization: `Bearer ${key}` } });
    expect(cancel.status).toBe(200);
    await receiver.count(before + 1);
    expect(JSON.parse(receiver.deliveries[before]!.body)).toMatchObject({ type: "generation.cancelled", data: { id: g.id, status: "cancelled" } });
  });

  it("a delivery pending when the Worker stops is sent by the restarted Worker, with the same webhook-id", async () => {
    stub.behaviour = "complete";
    receiver.status = 503;
    const before = receiver.deliveries.length;
    const g = (await (await generate()).json()) as { id: string };
    await receiver.count(before + 1);
    await restart(() => {
      receiver.status = 200;
    });
    while (!receiver.deliveries.slice(before).some((d) => d.answered === 200)) await receiver.count(receiver.deliveries.length + 1);
    const attempts = receiver.deliveries.slice(before);
    expect(new Set(attempts.map((d) => d.headers["webhook-id"])).size).toBe(1);
    const ok = attempts.find((d) => d.answered === 200)!;
    expect(verifyDelivery(secret, ok)).toBe(true);
    expect(JSON.parse(ok.body)).toMatchObject({ type: "generation.succeeded", data: { id: g.id } });
  });

  it("a generation running when the Worker stops is failed by its object after the restart, and announced", async () => {
    stub.behaviour = "hang";
    receiver.status = 200;
    const requested = stub.requests.length;
    const res = await generate();
    expect(res.status).toBe(202);
    const g = (await res.json()) as { id: string };
    expect(stub.requests.length).toBe(requested + 1);
    const before = receiver.deliveries.length;
    await restart();
    expect(receiver.deliveries.length).toBe(before);
    await receiver.count(before + 1);
    const d = receiver.deliveries[before]!;
    expect(verifyDelivery(secret, d)).toBe(true);
    // Failed by the object's alarm as one whose memory is gone (not by the runtime's silence, 20 s).
    expect(JSON.parse(d.body)).toMatchObject({
      type: "generation.failed",
      data: { id: g.id, status: "failed", error: { code: "runtime_disconnected", message: expect.stringContaining("restarted") } },
    });
  });

  it("signs with the new secret after keys webhook-secret --edge=workers rotates it", async () => {
    stub.behaviour = "complete";
    receiver.status = 200;
    const rotated = (await keys(dataDir, ["webhook-secret", keyId])).at(-1)!;
    expect(rotated).not.toBe(secret);
    const before = receiver.deliveries.length;
    await generate();
    await receiver.count(before + 1);
    const d = receiver.deliveries[before]!;
    expect(verifyDelivery(rotated, d)).toBe(true);
    expect(verifyDelivery(secret, d)).toBe(false);
    secret = rotated;
  });

  it("a key without a webhook secret is told how to make one (422 webhook_secret_missing)", async () => {
    const { key: bare } = await withD1(dataDir, (db) =>
      issueApiKey(createD1ApiKeyStore(db), { userId: IDENTITY.userId, limits: {}, nowMs: Date.now() }),
    );
    const res = await generate({}, bare);
    expect(res.status).toBe(422);
    const body = (await res.json()) as { code: string; detail: string };
    expect(body.code).toBe("webhook_secret_missing");
    expect(body.detail).toContain("npm run keys -- webhook-secret");
  });
});

describe("webhook URLs on the Workers edge by default (no WEBHOOK_ALLOW_PRIVATE)", () => {
  let dataDir: string;
  let worker: RunningWorker | undefined;
  let key: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "edge-workers-ssrf-"));
    key = (await keys(dataDir, ["create", "--user", "ssrf"])).at(-1)!;
    worker = await startWorker(dataDir, stub, {});
  }, 240_000);
  afterAll(async () => {
    await worker?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const create = (webhookUrl: string) =>
    fetch(`${worker!.url}/v1/generations`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ identityId: "idt_none", prompt: "p", webhookUrl }),
    });

  it("refuses literal loopback, private and link-local addresses and localhost with a 400 naming the field", async () => {
    for (const url of [receiver.url, "http://[::ffff:7f00:1]:9/", "http://10.0.0.8/", "http://169.254.169.254/", "http://localhost./"]) {
      const res = await create(url);
      expect(res.status, url).toBe(400);
      expect(((await res.json()) as { errors: { path: string }[] }).errors[0]!.path, url).toBe("webhookUrl");
    }
  });

  it("takes a public name as it is (no DNS on Workers): the request goes on to the identity", async () => {
    const res = await create("https://hooks.example/in");
    expect(res.status).toBe(404);
    expect(((await res.json()) as { code: string }).code).toBe("identity_not_found");
  });
});
