/** API keys, by public key id. Only the SHA-256 of a key is stored. */
import type { KeyLimits } from "../rate-limit/key-limits.ts";

export interface ApiKeyRecord {
  readonly id: string;
  readonly userId: string;
  readonly name: string;
  readonly hash: string;
  readonly limits: KeyLimits;
  readonly createdMs: number;
  readonly revokedMs: number | null;
  /** Standard Webhooks signing secret (whsec_...); absent or null: none yet. */
  readonly webhookSecret?: string | null;
}

export interface ApiKeyStore {
  insert(record: ApiKeyRecord): Promise<void>;
  findById(id: string): Promise<ApiKeyRecord | undefined>;
  list(userId?: string): Promise<ApiKeyRecord[]>;
  /** False when there is no such key or it was already revoked. */
  revoke(id: string, nowMs: number): Promise<boolean>;
  /** Replaces the key's webhook signing secret; false when there is no such key. */
  setWebhookSecret(id: string, secret: string): Promise<boolean>;
}
