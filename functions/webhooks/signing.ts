/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com): the receiver verifies
 * `webhook-signature: v1,<base64 HMAC-SHA256(secret, "<webhook-id>.<webhook-timestamp>.<body>")>`
 * with the key's secret `whsec_<base64 of 24-64 random bytes>`. WebCrypto only (Node and Workers).
 */
import { decodeBase64, encodeBase64 } from "../../shared/contract/base64.ts";

export const WEBHOOK_SECRET_PREFIX = "whsec_";

/** A fresh secret: 32 random bytes. */
export function generateWebhookSecret(): string {
  return WEBHOOK_SECRET_PREFIX + encodeBase64(crypto.getRandomValues(new Uint8Array(32)));
}

function secretBytes(secret: string): Uint8Array {
  if (!secret.startsWith(WEBHOOK_SECRET_PREFIX)) throw new RangeError("a webhook secret starts with whsec_");
  return decodeBase64(secret.slice(WEBHOOK_SECRET_PREFIX.length));
}

export interface SignedHeaders {
  readonly "webhook-id": string;
  readonly "webhook-timestamp": string;
  readonly "webhook-signature": string;
}

export async function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): Promise<SignedHeaders> {
  const key = await crypto.subtle.importKey(
    "raw",
    secretBytes(secret) as Uint8Array<ArrayBuffer>,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const timestamp = String(Math.floor(timestampSeconds));
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${id}.${timestamp}.${body}`));
  return {
    "webhook-id": id,
    "webhook-timestamp": timestamp,
    "webhook-signature": `v1,${encodeBase64(new Uint8Array(mac))}`,
  };
}
