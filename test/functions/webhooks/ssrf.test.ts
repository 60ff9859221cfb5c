/**
 * The webhook URL check where names cannot be resolved (the Workers edge: resolve is null): a
 * literal address is refused in every notation the URL parser accepts, localhost names are
 * refused, any other name passes unresolved; with names resolved (Node) an IPv4 address inside an
 * IPv6 one decides as the IPv4 address would.
 */
import { describe, expect, it } from "vitest";
import { checkWebhookUrl, isPrivateAddress, WebhookUrlError } from "../../../functions/webhooks/ssrf.ts";

const noDns = null;

describe("webhook URL check without DNS (Workers)", () => {
  it.each([
    "http://127.0.0.1:8080/hooks",
    "http://2130706433/", // 127.0.0.1 as one number
    "http://0x7f.1/", // 127.0.0.1, hex and short
    "http://0177.0.0.1/", // 127.0.0.1 in octal
    "http://127.0.0.1./",
    "http://10.0.0.8/",
    "http://169.254.169.254/latest/meta-data",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/", // the parser writes it ::ffff:7f00:1
    "http://[::ffff:a00:8]/",
    "http://[::127.0.0.1]/",
    "http://[2002:7f00:1::]/", // 6to4 of 127.0.0.1
    "http://[64:ff9b::a00:1]/",
    "http://[fd00::1]/",
    "http://[fe80::1]/",
    "http://localhost:8080/",
    "http://localhost./",
    "http://api.localhost/",
    "http://LOCALHOST/",
  ])("refuses %s", async (url) => {
    await expect(checkWebhookUrl(url, noDns, false)).rejects.toThrow(WebhookUrlError);
  });

  it.each(["https://hooks.example/in", "https://93.184.216.34/in", "https://[2606:4700::1111]/in", "http://[::ffff:5db8:d822]/"])(
    "accepts %s",
    async (url) => {
      await expect(checkWebhookUrl(url, noDns, false)).resolves.toBeInstanceOf(URL);
    },
  );

  it("lets every address through when private addresses are allowed (tests)", async () => {
    await expect(checkWebhookUrl("http://127.0.0.1:9/", noDns, true)).resolves.toBeInstanceOf(URL);
    await expect(checkWebhookUrl("ftp://127.0.0.1/", noDns, true)).rejects.toThrow(/http/);
  });
});

describe("isPrivateAddress, IPv6 forms", () => {
  it("reads the IPv4 address inside mapped, compatible and 6to4 addresses, in either notation", () => {
    for (const ip of ["::ffff:7f00:1", "::ffff:127.0.0.1", "::ffff:c0a8:101", "::7f00:1", "2002:a00:1::1", "0:0:0:0:0:ffff:a9fe:a9fe", "fec0::1", "::"]) {
      expect(isPrivateAddress(ip), ip).toBe(true);
    }
    for (const ip of ["::ffff:808:808", "::ffff:8.8.8.8", "2002:808:808::1", "2001:db8::1", "2606:4700:4700::1111"]) {
      expect(isPrivateAddress(ip), ip).toBe(false);
    }
  });

  it("refuses what is not an address at all", () => {
    for (const ip of ["1:2:3", "1::2::3", "12345::1", "::ffff:300.1.1.1", "hooks.example"]) expect(isPrivateAddress(ip), ip).toBe(true);
  });
});
