/**
 * Webhooks end to end on the Node edge (the Workers edge: test/workers/worker-webhooks.test.ts): a
 * receiver on loopback gets generation.* deliveries signed per Standard Webhooks (verified here with node:crypto, independently of the edge's WebCrypto signer), the
 * outbox survives an edge restart between the generation's end and the delivery (same webhook-id),
 * `keys webhook-secret` rotates the secret, and private addresses are refused by default (SSRF).
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSqliteApiKeyStore } from "../../../functions/adapters/node/sqlite/api-key-store.ts";
import { edgeDatabasePath, openDatabase } from "../../../functions/adapters/node/sqlite/index.ts";
import { issueApiKey } from "../../../functions/api-keys/issue-api-key.ts";
import { runKeysCli } from "../../../functions/cli/keys.ts";
import { startEdge, type RunningEdge } from "../../../functions/node.ts";
import { checkWebhookUrl, isPrivateAddress, WebhookUrlError } from "../../../functions/webhooks/ssrf.ts";
import { retryDelayMs } from "../../../functions/webhooks/dispatcher.ts";
import { photoForm, startHarness, type Harness } from "../helpers/edge-harness.ts";
import { startLiteFaceKit, type LiteFaceKit } from "../helpers/lite-face-kit.ts";
import { startStubRuntime, type StubRuntime } from "../helpers/stub-runtime.ts";
import { startReceiver, verifyDelivery, type WebhookReceiver } from "./webhook-receiver.ts";

const verify = verifyDelivery;

let kit: LiteFaceKit;
let stub: StubRuntime;
let dataDir: string;
let edge: RunningEdge;
let receiver: WebhookReceiver;
let key: string;
let keyId: string;
let secret: string;
let identityId: string;

const start = () =>
  startEdge({
    dataDir,
    runtimeUrl: stub.url,
    runtimeToken: stub.token,
    faceKit: kit,
    port: 0,
    log: () => undefined,
    webhookAllowPrivate: true,
    webhookRetryBaseMs: 20,
  });

async function keys(args: string[]): Promise<string[]> {
  const lines: string[] = [];
  await runKeysCli(args, dataDir, (l) => lines.push(l));
  return lines;
}

const api = (path: string, init: RequestInit = {}): Promise<Omit<Response, "json"> & { json(): Promise<any> }> =>
  fetch(`${edge.url}${path}`, { ...init, headers: { authorization: `Bearer ${key}`, ...(init.headers as Record<string, string>) } });

const generate = (body: Record<string, unknown>) =>
  api("/v1/generations", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ identityId, prompt: "p", width: 64, height: 64, steps: 2, webhookUrl: receiver.url, ...body }),
  });

beforeAll(async () => {
  kit = await startLiteFaceKit();
  stub = await startStubRuntime();
  dataDir = await mkdtemp(join(tmpdir(), "edge-webhooks-"));
  receiver = await startReceiver();
  edge = await start();
  const lines = await keys(["create", "--user", "hooked", "--requests-burst", "10000", "--requests-per-minute", "10000"]);
  key = lines.at(-1)!;
  const secretLine = lines.find((l) => l.startsWith("webhook signing secret"))!;
  secret = secretLine.slice(secretLine.lastIndexOf(" ") + 1);
  keyId = /of key (\S+)/.exec(secretLine)![1]!;
  expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
  const face = new Uint8Array(await readFile(new URL("../../fixtures/faces/astronaut.png", import.meta.url)));
  identityId = (await (await api("/v1/identities", { method: "POST", body: photoForm(face) })).json()).id;
});
afterAll(async () => {
  await edge?.close();
  await receiver?.close();
  await stub?.close();
  await kit?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe("webhook deliveries", () => {
  it("POSTs generation.succeeded, signed with the key's secret", async () => {
    stub.behaviour = "complete";
    const before = receiver.deliveries.length;
    const g = await (await generate({})).json();
    await receiver.count(before + 1);
    const d = receiver.deliveries[before]!;
    expect(d.headers["content-type"]).toBe("application/json");
    expect(d.headers["webhook-id"]).toMatch(/^msg_/);
    expect(Math.abs(Number(d.headers["webhook-timestamp"]) - Date.now() / 1000)).toBeLessThan(600);
    expect(verify(secret, d)).toBe(true);
    expect(verify(secret, { ...d, body: d.body.replace("succeeded", "failed") })).toBe(false);
    const payload = JSON.parse(d.body);
    expect(payload.type).toBe("generation.succeeded");
    expect(payload.data).toMatchObject({ id: g.id, status: "succeeded" });
    expect(payload.data.images).toHaveLength(1);
  });

  it("is retried with the same webhook-id, and still delivered after the edge restarts", async () => {
    stub.behaviour = "complete";
    receiver.status = 503;
    const before = receiver.deliveries.length;
    const g = await (await generate({})).json();
    // The generation ended and the first attempt was refused: the delivery waits in the outbox.
    await receiver.count(before + 1);
    await edge.close();
    receiver.status = 200;
    edge = await start();
    while (!receiver.deliveries.slice(before).some((d) => d.answered === 200)) await receiver.count(receiver.deliveries.length + 1);
    const ok = receiver.deliveries.slice(before).find((d) => d.answered === 200)!;
    const attempts = receiver.deliveries.slice(before);
    expect(new Set(attempts.map((d) => d.headers["webhook-id"])).size).toBe(1);
    expect(verify(secret, ok)).toBe(true);
    expect(JSON.parse(ok.body).data.id).toBe(g.id);
  });

  it("announces a cancel as generation.cancelled", async () => {
    stub.behaviour = "hang";
    const before = receiver.deliveries.length;
    const g = await (await generate({})).json();
    await api(`/v1/generations/${g.id}/cancel`, { method: "POST" });
    await receiver.count(before + 1);
    const payload = JSON.parse(receiver.deliveries[before]!.body);
    expect(payload).toMatchObject({ type: "generation.cancelled", data: { id: g.id, status: "cancelled" } });
  });

  it("signs with the new secret after keys webhook-secret rotates it", async () => {
    stub.behaviour = "complete";
    const lines = await keys(["webhook-secret", keyId]);
    const rotated = lines.at(-1)!;
    expect(rotated).not.toBe(secret);
    const before = receiver.deliveries.length;
    await generate({});
    await receiver.count(before + 1);
    const d = receiver.deliveries[before]!;
    expect(verify(rotated, d)).toBe(true);
    expect(verify(secret, d)).toBe(false);
    secret = rotated;
  });
});

describe("a key without a webhook secret", () => {
  it("is told how to make one (422 webhook_secret_missing), as npm start's dev key would be", async () => {
    const db = openDatabase(edgeDatabasePath(dataDir));
    let devKey: string;
    try {
      ({ key: devKey } = await issueApiKey(createSqliteApiKeyStore(db), { userId: "hooked", limits: {}, nowMs: Date.now() }));
    } finally {
      db.close();
    }
    const res = await fetch(`${edge.url}/v1/generations`, {
      method: "POST",
      headers: { authorization: `Bearer ${devKey}`, "content-type": "application/json" },
      body: JSON.stringify({ identityId, prompt: "p", width: 64, height: 64, steps: 1, webhookUrl: receiver.url }),
    });
    expect(res.status).toBe(422);
    const body = (await res.json()) as { code: string; detail: string };
    expect(body.code).toBe("webhook_secret_missing");
    expect(body.detail).toContain("npm run keys -- webhook-secret");
  });
});

describe("a generation the edge could not finish", () => {
  it("gets generation.failed after a crashed edge restarts", async () => {
    stub.behaviour = "hang";
    // A separate edge process on the same data folder, killed mid-generation (no graceful close).
    const child = spawn(process.execPath, ["--import", "tsx", "functions/node.ts"], {
      env: {
        ...process.env,
        PORT: "0",
        DATA_DIR: dataDir,
        RUNTIME_URL: stub.url,
        RUNTIME_TOKEN: stub.token,
        WEBHOOK_ALLOW_PRIVATE: "1",
        ACCESS_LOG: "0",
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = "";
        child.stdout!.on("data", (b: Buffer) => {
          out += b.toString();
          const m = /edge listening on (http:\/\/\S+)/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.once("exit", (code) => reject(new Error(`edge exited (${code})`)));
      });
      const requested = stub.requests.length;
      const res = await fetch(`${url}/v1/generations`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ identityId, prompt: "p", width: 64, height: 64, steps: 2, webhookUrl: receiver.url }),
      });
      expect(res.status).toBe(202);
      const g = (await res.json()) as { id: string };
      expect(stub.requests.length).toBe(requested + 1);
      const before = receiver.deliveries.length;
      child.kill("SIGKILL");
      await new Promise((r) => child.once("exit", r));
      expect(receiver.deliveries.length).toBe(before);

      // The in-process edge restarts on the folder: the generation is failed and announced.
      await edge.close();
      edge = await start();
      await receiver.count(before + 1);
      const d = receiver.deliveries[before]!;
      expect(verify(secret, d)).toBe(true);
      expect(JSON.parse(d.body)).toMatchObject({ type: "generation.failed", data: { id: g.id, error: { code: "edge_restarted" } } });
    } finally {
      child.kill("SIGKILL");
    }
  });
});

describe("SSRF", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h?.close());

  it("an edge without WEBHOOK_ALLOW_PRIVATE refuses a loopback webhookUrl with a 400 naming the field", async () => {
    const k = await h.createKey("ssrf");
    const res = await h.fetch("/v1/generations", {
      method: "POST",
      key: k,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ identityId: "idn_any", prompt: "p", webhookUrl: receiver.url }),
    });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.errors[0].path).toBe("webhookUrl");
  });

  it("classifies private, loopback, link-local, CGNAT and v6 local addresses", () => {
    for (const ip of ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "::1", "fe80::1", "fd00::1", "::ffff:10.0.0.1"]) {
      expect(isPrivateAddress(ip), ip).toBe(true);
    }
    for (const ip of ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "172.32.0.1"]) expect(isPrivateAddress(ip), ip).toBe(false);
  });

  it("checks what a name resolves to, and refuses other schemes and credentials", async () => {
    const resolveTo = (addrs: string[]) => async () => addrs;
    await expect(checkWebhookUrl("https://hooks.example/x", resolveTo(["93.184.216.34"]), false)).resolves.toBeInstanceOf(URL);
    await expect(checkWebhookUrl("https://hooks.example/x", resolveTo(["93.184.216.34", "10.0.0.8"]), false)).rejects.toThrow(WebhookUrlError);
    await expect(checkWebhookUrl("https://nowhere.example/x", resolveTo([]), false)).rejects.toThrow(/does not resolve/);
    await expect(checkWebhookUrl("http://[::1]:8080/", resolveTo([]), false)).rejects.toThrow(WebhookUrlError);
    await expect(checkWebhookUrl("http://localhost/", resolveTo(["93.184.216.34"]), false)).rejects.toThrow(WebhookUrlError);
    await expect(checkWebhookUrl("ftp://hooks.example/", resolveTo(["93.184.216.34"]), false)).rejects.toThrow(/http/);
    await expect(checkWebhookUrl("https://u:p@hooks.example/", resolveTo(["93.184.216.34"]), false)).rejects.toThrow(/credentials/);
    await expect(checkWebhookUrl("http://127.0.0.1/", resolveTo([]), true)).resolves.toBeInstanceOf(URL);
  });
});

describe("retry backoff", () => {
  it("doubles per attempt with jitter in the upper half, capped", () => {
    expect(retryDelayMs(1, 1000, 60_000, () => 0)).toBe(500);
    expect(retryDelayMs(1, 1000, 60_000, () => 1)).toBe(1000);
    expect(retryDelayMs(4, 1000, 60_000, () => 1)).toBe(8000);
    expect(retryDelayMs(30, 1000, 60_000, () => 0.5)).toBe(45_000);
  });
});
