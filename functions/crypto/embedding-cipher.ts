/**
 * Face embeddings (biometric data) encrypted at rest with AES-256-GCM, through WebCrypto so the
 * Node (SQLite) and Workers (D1) stores share it. Each blob is bound to its row: the additional
 * authenticated data is the identity's user and id, so a blob copied onto another row fails.
 *
 * Blob layout: "E1" (2 bytes) | key id (4 bytes: SHA-256 of the key, truncated) | IV (12 random
 * bytes) | ciphertext + 16-byte tag. The key id picks the key on read, so a key can be rotated:
 * encrypt with the new key, keep the old one among `previous` until every row is re-encrypted
 * (see the README's key rotation steps).
 */
import { sha256 } from "./sha256.ts";

/** WebCrypto's key type, named without the DOM lib. */
type AesKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

const MAGIC = [0x45, 0x31]; // "E1"
const KEY_ID_BYTES = 4;
const IV_BYTES = 12;
const HEADER_BYTES = MAGIC.length + KEY_ID_BYTES + IV_BYTES;
const encoder = new TextEncoder();

export class EmbeddingCipherError extends Error {
  override readonly name = "EmbeddingCipherError";
  readonly code = "embedding_undecryptable";
}

export interface EmbeddingCipher {
  encrypt(plain: Uint8Array, boundTo: string): Promise<Uint8Array>;
  decrypt(blob: Uint8Array, boundTo: string): Promise<Uint8Array>;
  /** True when the blob is not written with the current key (a rotation left it behind, or it is clear). */
  isStale(blob: Uint8Array): Promise<boolean>;
}

/**
 * What an identity's embedding blob is bound to (AES-GCM additional data): every store (SQLite, D1)
 * uses this, so a blob moved onto another row fails to decrypt.
 */
export const embeddingBinding = (userId: string, identityId: string): string => `identity:${userId}:${identityId}`;

/** Whether a stored value is an encrypted blob (else: a clear embedding from before encryption). */
export function isEncryptedEmbedding(blob: Uint8Array): boolean {
  return blob.length > HEADER_BYTES + 16 && blob[0] === MAGIC[0] && blob[1] === MAGIC[1];
}

/** An identity's embedding bytes as a store writes them: encrypted and bound to the row with a cipher, else clear. */
export function sealEmbedding(cipher: EmbeddingCipher | undefined, plain: Uint8Array, userId: string, identityId: string): Promise<Uint8Array> {
  return cipher ? cipher.encrypt(plain, embeddingBinding(userId, identityId)) : Promise.resolve(plain);
}

/**
 * A stored embedding's clear bytes. Clear rows (from before encryption) read as they are; an
 * encrypted one without a cipher is refused by name rather than misread (a clear embedding is whole
 * float32s, an encrypted blob is not).
 */
export async function openEmbedding(cipher: EmbeddingCipher | undefined, blob: Uint8Array, userId: string, identityId: string): Promise<Uint8Array> {
  if (!isEncryptedEmbedding(blob)) return blob;
  if (cipher) return cipher.decrypt(blob, embeddingBinding(userId, identityId));
  if (blob.length % 4 === 0) return blob;
  throw new EmbeddingCipherError("a stored embedding is encrypted but no embedding key is set (EMBEDDING_KEY)");
}

/** The cipher for EMBEDDING_KEY's text and EMBEDDING_KEY_PREVIOUS's comma-separated keys (rotation). */
export function embeddingCipherFromText(key: string, previousCsv = ""): EmbeddingCipher {
  const previous = previousCsv
    .split(",")
    .map((k) => k.trim())
    .filter(Boolean)
    .map(parseEmbeddingKey);
  return createEmbeddingCipher(parseEmbeddingKey(key), previous);
}

const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0")).join("");

/** A 32-byte key from its text form: 64 hex digits or base64 (standard or url-safe) of 32 bytes. */
export function parseEmbeddingKey(text: string): Uint8Array {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Uint8Array.from(t.match(/../g)!.map((h) => parseInt(h, 16)));
  if (t.length === 43 || t.length === 44) {
    try {
      const bin = atob(t.replace(/-/g, "+").replace(/_/g, "/").padEnd(44, "="));
      if (bin.length === 32) return Uint8Array.from(bin, (c) => c.charCodeAt(0));
    } catch {
      // not base64: refused below
    }
  }
  throw new EmbeddingCipherError("an embedding key must be 32 bytes, as 64 hex digits or base64");
}

/** A fresh random key in the text form parseEmbeddingKey reads (64 hex digits). */
export function generateEmbeddingKeyText(): string {
  return hex(crypto.getRandomValues(new Uint8Array(32)));
}

/** Keys are imported on first use, so stores can be built synchronously. */
export function createEmbeddingCipher(current: Uint8Array, previous: readonly Uint8Array[] = []): EmbeddingCipher {
  for (const raw of [current, ...previous]) {
    if (raw.length !== 32) throw new EmbeddingCipherError(`an embedding key must be 32 bytes, got ${raw.length}`);
  }
  let ready: Promise<{ keys: Map<string, AesKey>; currentId: string; idBytes: Uint8Array }> | undefined;
  const init = async () => {
    const keys = new Map<string, AesKey>();
    let currentId = "";
    for (const [i, raw] of [current, ...previous].entries()) {
      const id = hex((await sha256(raw)).subarray(0, KEY_ID_BYTES));
      if (i === 0) currentId = id;
      if (!keys.has(id)) keys.set(id, await crypto.subtle.importKey("raw", raw as Uint8Array<ArrayBuffer>, "AES-GCM", false, ["encrypt", "decrypt"]));
    }
    return { keys, currentId, idBytes: Uint8Array.from(currentId.match(/../g)!.map((h) => parseInt(h, 16))) };
  };
  const state = () => (ready ??= init());
  const idOf = (blob: Uint8Array) => hex(blob.subarray(MAGIC.length, MAGIC.length + KEY_ID_BYTES));

  return {
    async encrypt(plain, boundTo) {
      const { keys, currentId, idBytes } = await state();
      const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
      const sealed = new Uint8Array(
        await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: encoder.encode(boundTo) }, keys.get(currentId)!, plain as Uint8Array<ArrayBuffer>),
      );
      const out = new Uint8Array(HEADER_BYTES + sealed.length);
      out.set(MAGIC, 0);
      out.set(idBytes, MAGIC.length);
      out.set(iv, MAGIC.length + KEY_ID_BYTES);
      out.set(sealed, HEADER_BYTES);
      return out;
    },
    async decrypt(blob, boundTo) {
      if (!isEncryptedEmbedding(blob)) throw new EmbeddingCipherError("the stored embedding is not an encrypted blob");
      const { keys } = await state();
      const key = keys.get(idOf(blob));
      if (!key) throw new EmbeddingCipherError(`the stored embedding is encrypted with key ${idOf(blob)}, which is not configured`);
      try {
        return new Uint8Array(
          await crypto.subtle.decrypt(
            { name: "AES-GCM", iv: blob.subarray(MAGIC.length + KEY_ID_BYTES, HEADER_BYTES), additionalData: encoder.encode(boundTo) },
            key,
            blob.subarray(HEADER_BYTES),
          ),
        );
      } catch {
        throw new EmbeddingCipherError("the stored embedding failed authentication (wrong key, or altered or moved)");
      }
    },
    async isStale(blob) {
      return !isEncryptedEmbedding(blob) || idOf(blob) !== (await state()).currentId;
    },
  };
}
