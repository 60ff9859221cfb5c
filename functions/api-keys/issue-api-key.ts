import { DEFAULT_KEY_LIMITS, type KeyLimits } from "../rate-limit/key-limits.ts";
import type { ApiKeyRecord, ApiKeyStore } from "../stores/api-key-store.ts";
import { generateApiKey } from "./api-key.ts";

/** Creates and stores a key; the returned `key` is the only time it exists in clear. */
export async function issueApiKey(
  store: ApiKeyStore,
  opts: { userId: string; name?: string; limits?: Partial<KeyLimits>; nowMs: number },
): Promise<{ record: ApiKeyRecord; key: string }> {
  if (!/^[\x21-\x7e]{1,128}$/.test(opts.userId)) throw new RangeError("user id must be 1-128 visible ASCII characters");
  const { keyId, key, hash } = await generateApiKey();
  const record: ApiKeyRecord = {
    id: keyId,
    userId: opts.userId,
    name: opts.name ?? "",
    hash,
    limits: { ...DEFAULT_KEY_LIMITS, ...opts.limits },
    createdMs: opts.nowMs,
    revokedMs: null,
  };
  await store.insert(record);
  return { record, key };
}
