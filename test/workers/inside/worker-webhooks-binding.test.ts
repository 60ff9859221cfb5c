/**
 * The Worker app inside workerd with and without its WEBHOOK_DISPATCHER binding: with it a
 * webhookUrl is taken (the request goes on to the identity, 404 here); without it the request is
 * refused with 422 webhooks_unavailable, the one case that code remains for.
 */
import { env } from "cloudflare:workers";
import { beforeAll, expect, it } from "vitest";
import { createD1ApiKeyStore } from "../../../functions/adapters/workers/d1/api-key-store.ts";
import { createWorkerApp } from "../../../functions/adapters/workers/create-worker-app.ts";
import type { WorkerEnv } from "../../../functions/adapters/workers/env.ts";
import { issueApiKey } from "../../../functions/api-keys/issue-api-key.ts";
import { generateWebhookSecret } from "../../../functions/webhooks/signing.ts";

let key: string;
beforeAll(async () => {
  const store = createD1ApiKeyStore(env.DB);
  const issued = await issueApiKey(store, { userId: "hooked", nowMs: Date.now() });
  await store.setWebhookSecret(issued.record.id, generateWebhookSecret());
  key = issued.key;
});

async function create(workerEnv: WorkerEnv): Promise<{ status: number; code: string }> {
  const res = await createWorkerApp(workerEnv).app.fetch(
    new Request("http://edge.test/v1/generations", {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ identityId: "idt_none", prompt: "p", webhookUrl: "https://hooks.example/in" }),
    }),
    workerEnv,
  );
  return { status: res.status, code: ((await res.json()) as { code: string }).code };
}

it("takes a webhookUrl with the binding", async () => {
  expect(env.WEBHOOK_DISPATCHER).toBeDefined();
  expect(await create(env)).toEqual({ status: 404, code: "identity_not_found" });
});

it("refuses it with 422 webhooks_unavailable without the binding", async () => {
  const { WEBHOOK_DISPATCHER: _, ...withoutBinding } = env;
  expect(await create(withoutBinding)).toEqual({ status: 422, code: "webhooks_unavailable" });
});
