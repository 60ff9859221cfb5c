/** The idempotency_keys table's row, and what a live (unexpired) one means to begin(), for every SQL store. */
import type { IdempotencyBegin } from "../idempotency-store.ts";

export interface IdempotencyRow {
  fingerprint: string;
  state: string;
  status: number | null;
  content_type: string | null;
  location: string | null;
  body: string | null;
}

/** A live row holds the key: another request's (mismatch), still running (in_progress), or done (replay). */
export function heldIdempotencyKey(row: IdempotencyRow, fingerprint: string): IdempotencyBegin {
  if (row.fingerprint !== fingerprint) return { kind: "mismatch" };
  if (row.state !== "done") return { kind: "in_progress" };
  return {
    kind: "replay",
    response: {
      status: row.status ?? 200,
      contentType: row.content_type ?? "application/json",
      location: row.location,
      body: row.body ?? "",
    },
  };
}
