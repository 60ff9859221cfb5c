/**
 * The edge's data folder on one machine: created owner-only (0700), the database file and the
 * embedding key file owner-only (0600); SQLite gives its -wal/-shm files the database's mode.
 *
 * The embedding key: EMBEDDING_KEY (64 hex digits or base64 of 32 bytes) when set; else the key
 * file `<dataDir>/embedding.key`, generated once (mode 0600) the first time a data folder is
 * opened, so `npm start` works with no setup. EMBEDDING_KEY_PREVIOUS (comma-separated) lists keys
 * still accepted for reading during a rotation.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { embeddingCipherFromText, generateEmbeddingKeyText, type EmbeddingCipher } from "../../../crypto/embedding-cipher.ts";

export const EMBEDDING_KEY_FILE = "embedding.key";

/** Creates the folder owner-only (an existing folder keeps its mode: it is the operator's). */
export function ensurePrivateDataDir(dataDir: string): void {
  if (existsSync(dataDir)) return;
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700); // mkdir's mode is filtered by the umask
}

/** Creates an empty file owner-only if it does not exist yet (before SQLite opens it). */
export function ensurePrivateFile(path: string): void {
  try {
    closeSync(openSync(path, "wx", 0o600));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  }
}

/** The key text: from the environment, else the data folder's key file (made once, 0600). */
export function embeddingKeyText(dataDir: string, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.EMBEDDING_KEY?.trim();
  if (fromEnv) return fromEnv;
  const path = join(dataDir, EMBEDDING_KEY_FILE);
  try {
    // wx: two processes opening a fresh folder at once (edge and keys CLI) cannot both write one.
    writeFileSync(path, `${generateEmbeddingKeyText()}\n`, { mode: 0o600, flag: "wx" });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  }
  return readFileSync(path, "utf8");
}

export function embeddingCipherFor(dataDir: string, env: NodeJS.ProcessEnv = process.env): EmbeddingCipher {
  return embeddingCipherFromText(embeddingKeyText(dataDir, env), env.EMBEDDING_KEY_PREVIOUS);
}
