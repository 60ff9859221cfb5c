/**
 * Bearer API keys. The key id in the key finds the row; the presented key's SHA-256 is compared
 * with the stored one in constant time. Unknown, malformed, wrong and revoked keys all get the
 * same 401, so a caller learns nothing about which keys exist.
 */
import type { MiddlewareHandler } from "hono";
import { apiKeyMatchesHash, parseApiKey } from "../../api-keys/api-key.ts";
import { fromHex } from "../../crypto/sha256.ts";
import type { EdgeEnv } from "../../env.ts";
import { ApiError } from "../../errors/api-error.ts";
import type { ApiKeyRecord, ApiKeyStore } from "../../stores/api-key-store.ts";

const unauthorized = (detail: string) =>
  new ApiError(401, "unauthorized", "Unauthorized", {
    detail,
    headers: { "WWW-Authenticate": 'Bearer realm="instantid-edge"' },
  });

const NO_HASH = new Uint8Array(32);

export function apiKeyAuth(keys: ApiKeyStore): MiddlewareHandler<EdgeEnv> {
  // Decoded stored hashes, per record object: a caching store hands back the same record.
  const decoded = new WeakMap<ApiKeyRecord, Uint8Array>();
  const storedHash = (r: ApiKeyRecord) => {
    let h = decoded.get(r);
    if (!h) {
      h = fromHex(r.hash);
      decoded.set(r, h);
    }
    return h;
  };
  return async (c, next) => {
    const header = c.req.header("authorization");
    const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!m) throw unauthorized("Send an API key as 'Authorization: Bearer <key>'.");
    const parsed = parseApiKey(m[1]);
    const record = parsed ? await keys.findById(parsed.keyId) : undefined;
    // Hash and compare even when nothing matched, so timing does not tell the cases apart.
    const ok = await apiKeyMatchesHash(m[1], record ? storedHash(record) : NO_HASH);
    if (!parsed || !record || !ok || record.revokedMs !== null) throw unauthorized("The API key is not valid.");
    c.set("principal", { keyId: record.id, userId: record.userId, limits: record.limits });
    await next();
  };
}
