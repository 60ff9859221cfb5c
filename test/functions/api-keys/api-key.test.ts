import { describe, expect, it } from "vitest";
import { apiKeyMatches, generateApiKey, hashApiKey, parseApiKey } from "../../../functions/api-keys/api-key.ts";
import { constantTimeEqual } from "../../../functions/crypto/constant-time.ts";

describe("API keys", () => {
  it("generates distinct parseable keys whose hash matches only themselves", async () => {
    const a = await generateApiKey();
    const b = await generateApiKey();
    expect(a.key).not.toBe(b.key);
    expect(parseApiKey(a.key)).toEqual({ keyId: a.keyId, key: a.key });
    expect(a.hash).toBe(await hashApiKey(a.key));
    expect(await apiKeyMatches(a.key, a.hash)).toBe(true);
    expect(await apiKeyMatches(b.key, a.hash)).toBe(false);
  });

  it("rejects malformed keys", () => {
    expect(parseApiKey("iid_123_abc")).toBeUndefined();
    expect(parseApiKey("")).toBeUndefined();
    expect(parseApiKey(`iid_${"g".repeat(16)}_${"a".repeat(43)}`)).toBeUndefined();
  });

  it("constant-time equality is equality", () => {
    expect(constantTimeEqual(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2, 3))).toBe(true);
    expect(constantTimeEqual(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2, 4))).toBe(false);
    expect(constantTimeEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2, 3))).toBe(false);
  });
});
