/**
 * Identities: a face embedding (biometric data) with the keypoints and photo size it came from.
 * Every read is scoped by user: another user's identity does not exist.
 */
import type { FacePack } from "../../shared/contract/limits.ts";
import type { Page, PageRequest } from "./page.ts";

export type Keypoints = readonly (readonly [number, number])[];

export interface IdentityRecord {
  readonly id: string;
  readonly userId: string;
  /** SHA-256 over the photos' own hashes (sorted): the same photos give the same identity. */
  readonly contentHash: string;
  readonly pack: FacePack;
  readonly embedding: Float32Array;
  /** Of the primary (first) photo, in its pixels. */
  readonly kps: Keypoints;
  readonly bbox: readonly [number, number, number, number];
  readonly score: number;
  /** Faces found in the primary photo. */
  readonly faceCount: number;
  readonly photoCount: number;
  readonly imageWidth: number;
  readonly imageHeight: number;
  readonly createdMs: number;
}

/** An identity as a list shows it: everything but the embedding (never read, never decrypted). */
export type IdentitySummary = Omit<IdentityRecord, "embedding">;

export interface IdentityStore {
  /** Inserts, or returns the identity that already holds (userId, contentHash). */
  insertOrGet(record: IdentityRecord): Promise<{ record: IdentityRecord; inserted: boolean }>;
  get(userId: string, id: string): Promise<IdentityRecord | undefined>;
  findByContentHash(userId: string, contentHash: string): Promise<IdentityRecord | undefined>;
  /** Removes the row (embedding included). False when the user has no such identity. */
  delete(userId: string, id: string): Promise<boolean>;
  /** The user's identities, newest first (created time, then id), one page after `page.after`. */
  list(userId: string, page: PageRequest): Promise<Page<IdentitySummary>>;
}
