import { describe, expect, it } from "vitest";
import { sha256, sha256Hex } from "../../../functions/crypto/sha256.ts";

describe("sha256", () => {
  it("matches Web Crypto's digest for text and bytes", async () => {
    for (const input of ["", "abc", "iid_0123456789abcdef_secret"]) {
      const expected = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(input)));
      expect(await sha256(input)).toEqual(expected);
    }
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => i & 255);
    const expected = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
    expect(await sha256(bytes)).toEqual(expected);
    // A view into a larger buffer hashes only its own bytes.
    expect(await sha256(bytes.subarray(10, 20))).toEqual(
      new Uint8Array(await crypto.subtle.digest("SHA-256", bytes.slice(10, 20))),
    );
    expect(await sha256Hex("abc")).toMatch(/^[0-9a-f]{64}$/);
  });
});
