/**
 * Webhook URLs must not point the edge at its own network (SSRF): a URL whose host is, or resolves
 * to, a private, loopback, link-local, unique-local, CGNAT, multicast or unspecified address is
 * refused unless WEBHOOK_ALLOW_PRIVATE=1 (tests, local development). Checked when a generation is
 * created and again before each delivery (the name may resolve elsewhere by then).
 */

/** Resolves a host name to its addresses (node:dns on Node); an empty list when it cannot. */
export type ResolveHost = (hostname: string) => Promise<readonly string[]>;

export class WebhookUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WebhookUrlError";
  }
}

const MAX_URL_LENGTH = 2048;

function ipv4Parts(ip: string): number[] | undefined {
  const parts = ip.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^[0-9]{1,3}$/.test(p))) return undefined;
  const n = parts.map(Number);
  return n.every((x) => x <= 255) ? n : undefined;
}

/** True for addresses a public webhook must never reach. */
export function isPrivateAddress(ip: string): boolean {
  const v4 = ipv4Parts(ip);
  if (v4) {
    const [a, b] = v4 as [number, number, number, number];
    return (
      a === 0 || a === 10 || a === 127 || (a === 100 && b >= 64 && b <= 127) || (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 192 && b === 0) ||
      (a === 198 && (b === 18 || b === 19)) || a >= 224
    );
  }
  const v6 = ip.toLowerCase().replace(/^\[|\]$/g, "");
  if (!v6.includes(":")) return true; // not an address at all: refuse rather than guess
  if (v6 === "::" || v6 === "::1") return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(v6);
  if (mapped) return isPrivateAddress(mapped[1]!);
  const first = parseInt(v6.split(":")[0] || "0", 16);
  return (
    (first & 0xfe00) === 0xfc00 || // fc00::/7 unique local
    (first & 0xffc0) === 0xfe80 || // fe80::/10 link local
    (first & 0xff00) === 0xff00 || // multicast
    v6.startsWith("64:ff9b:") // NAT64 of anything, including private v4
  );
}

/** Parses and checks a webhook URL; throws WebhookUrlError saying why it is refused. */
export async function checkWebhookUrl(raw: string, resolve: ResolveHost, allowPrivate: boolean): Promise<URL> {
  if (raw.length > MAX_URL_LENGTH) throw new WebhookUrlError(`longer than ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WebhookUrlError("not an absolute URL");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new WebhookUrlError("must be http or https");
  if (url.username || url.password) throw new WebhookUrlError("must not carry credentials");
  if (allowPrivate) return url;
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const literal = ipv4Parts(host) !== undefined || host.includes(":");
  if (host === "localhost" || host.endsWith(".localhost")) throw new WebhookUrlError("resolves to a loopback address");
  const addresses = literal ? [host] : await resolve(host);
  if (addresses.length === 0) throw new WebhookUrlError(`host ${host} does not resolve`);
  if (addresses.some(isPrivateAddress)) {
    throw new WebhookUrlError(`host ${host} resolves to a private, loopback or link-local address`);
  }
  return url;
}
