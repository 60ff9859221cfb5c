/**
 * SHA-256 for the core. Web Crypto works everywhere (Node, Workers) but costs ~0.1 ms of main-thread
 * time a call in Node (it schedules a thread-pool job); where the runtime offers node:crypto
 * without an import (process.getBuiltinModule: Node >= 20.16, Workers with nodejs_compat), the
 * synchronous hash is used instead. Same digest either way.
 */

interface NodeHash {
  update(data: Uint8Array): NodeHash;
  digest(): Uint8Array;
}
type CreateHash = (algorithm: "sha256") => NodeHash;

const nodeCreateHash: CreateHash | undefined = (() => {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const mod = proc?.getBuiltinModule?.("node:crypto") as { createHash?: CreateHash } | undefined;
  return mod?.createHash;
})();

const encoder = new TextEncoder();

export async function sha256(data: Uint8Array | string): Promise<Uint8Array> {
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  if (nodeCreateHash) {
    const d = nodeCreateHash("sha256").update(bytes).digest();
    return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  }
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
}

export async function sha256Hex(data: Uint8Array | string): Promise<string> {
  return toHex(await sha256(data));
}

export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-f]*$/i.test(hex)) throw new TypeError("not hex");
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}
