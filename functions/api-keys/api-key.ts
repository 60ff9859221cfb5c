/**
 * API key format: `iid_<keyId>_<secret>`. The key id (public, 16 hex) finds the stored row; the
 * whole key's SHA-256 is what is stored and compared (in constant time). The key itself is shown
 * once, at creation, and never stored.
 */
import { constantTimeEqual } from "../crypto/constant-time.ts";
import { fromHex, sha256, toHex } from "../crypto/sha256.ts";

const KEY_PATTERN = /^iid_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export interface ParsedApiKey {
  readonly keyId: string;
  readonly key: string;
}

export function parseApiKey(key: string): ParsedApiKey | undefined {
  const m = KEY_PATTERN.exec(key);
  return m ? { keyId: m[1], key } : undefined;
}

export interface NewApiKey {
  readonly keyId: string;
  readonly key: string;
  /** Hex SHA-256 of `key`: the only form that is stored. */
  readonly hash: string;
}

export async function generateApiKey(): Promise<NewApiKey> {
  const keyId = toHex(crypto.getRandomValues(new Uint8Array(8)));
  const secret = base64Url(crypto.getRandomValues(new Uint8Array(32)));
  const key = `iid_${keyId}_${secret}`;
  return { keyId, key, hash: await hashApiKey(key) };
}

export async function hashApiKey(key: string): Promise<string> {
  return toHex(await sha256(key));
}

export async function apiKeyMatches(key: string, storedHashHex: string): Promise<boolean> {
  return apiKeyMatchesHash(key, fromHex(storedHashHex));
}

/** apiKeyMatches with the stored hash already decoded (a caller that keeps records decodes once). */
export async function apiKeyMatchesHash(key: string, storedHash: Uint8Array): Promise<boolean> {
  return constantTimeEqual(await sha256(key), storedHash);
}

function base64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}
