/**
 * Idempotency-Key records: the first request with a key reserves it; its response is kept and
 * replayed for the same key and the same request fingerprint.
 */

export interface StoredResponse {
  readonly status: number;
  readonly contentType: string;
  readonly location: string | null;
  readonly body: string;
}

export type IdempotencyBegin =
  | { readonly kind: "started" }
  | { readonly kind: "replay"; readonly response: StoredResponse }
  | { readonly kind: "mismatch" }
  | { readonly kind: "in_progress" };

export interface IdempotencyStore {
  /** Atomic: of concurrent begins with one (scope, key), exactly one gets "started". */
  begin(scope: string, key: string, fingerprint: string, nowMs: number, ttlMs: number): Promise<IdempotencyBegin>;
  complete(scope: string, key: string, response: StoredResponse): Promise<void>;
  /** Forgets a reservation whose request failed, so the client may retry with the same key. */
  release(scope: string, key: string): Promise<void>;
}
