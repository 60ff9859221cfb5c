/** Is a file the one expected? Size first (free), then sha256 (reads it all). */
import { statSync } from "node:fs";
import { sha256File } from "../pack/sha256-file.ts";
import { formatBytes } from "./download-progress.ts";

export interface Expected {
  bytes: number | null;
  sha256: string | null;
}

export interface DigestCheck {
  bytes: number;
  sha256: string;
  /** Why it is not the expected file; undefined when it is (or nothing was expected). */
  problem?: string;
}

export async function checkDigest(path: string, expected: Expected): Promise<DigestCheck> {
  const bytes = statSync(path).size;
  if (expected.bytes !== null && bytes !== expected.bytes) {
    return { bytes, sha256: "", problem: `size ${bytes} bytes (${formatBytes(bytes)}), expected ${expected.bytes}` };
  }
  const sha256 = await sha256File(path);
  if (expected.sha256 !== null && sha256 !== expected.sha256) return { bytes, sha256, problem: `sha256 ${sha256}, expected ${expected.sha256}` };
  return { bytes, sha256 };
}
