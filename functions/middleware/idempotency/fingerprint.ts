/**
 * What "the same request" means for Idempotency-Key: method, path and the body's content, not its
 * encoding. JSON is compared after key-sorting (whitespace and key order do not matter); multipart
 * by its fields, files by content hash (a client's retry picks a new boundary).
 */
import { sha256Hex } from "../../crypto/sha256.ts";

export async function requestFingerprint(
  method: string,
  path: string,
  contentType: string | undefined,
  body: Uint8Array,
): Promise<string> {
  const mediaType = (contentType ?? "").split(";")[0].trim().toLowerCase();
  let canonicalBody: string;
  if (mediaType === "application/json") {
    canonicalBody = jsonCanonical(body);
  } else if (mediaType === "multipart/form-data") {
    canonicalBody = await multipartCanonical(contentType ?? "", body);
  } else {
    canonicalBody = `raw:${await sha256Hex(body)}`;
  }
  return sha256Hex(`${method}\n${path}\n${mediaType}\n${canonicalBody}`);
}

function jsonCanonical(body: Uint8Array): string {
  const text = new TextDecoder().decode(body);
  try {
    return `json:${stableStringify(JSON.parse(text))}`;
  } catch {
    return `text:${text}`;
  }
}

export function stableStringify(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const entries = Object.keys(v as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableStringify((v as Record<string, unknown>)[k])}`);
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(v);
}

async function multipartCanonical(contentType: string, body: Uint8Array): Promise<string> {
  let form: FormData;
  try {
    form = await new Response(body as Uint8Array<ArrayBuffer>, { headers: { "content-type": contentType } }).formData();
  } catch {
    return `raw:${await sha256Hex(body)}`;
  }
  const parts: string[] = [];
  for (const [name, value] of form.entries()) {
    parts.push(
      typeof value === "string"
        ? `${name}=s:${value}`
        : `${name}=f:${await sha256Hex(new Uint8Array(await value.arrayBuffer()))}`,
    );
  }
  return `multipart:${JSON.stringify(parts)}`;
}
