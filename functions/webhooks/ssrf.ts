/**
 * Webhook URLs must not point the edge at its own network (SSRF): a URL whose host is, or resolves
 * to, a private, loopback, link-local, unique-local, CGNAT, multicast or unspecified address is
 * refused unless WEBHOOK_ALLOW_PRIVATE=1 (tests, local development). Checked when a generation is
 * created and again before each delivery (the name may resolve elsewhere by then).
 *
 * Where the platform cannot resolve names (Workers has no DNS API: `resolve` is null) only what the
 * URL itself says is checked: a literal address (in any form the URL parser accepts, e.g.
 * http://2130706433/ is 127.0.0.1) and the localhost names; any other name is accepted as it is.
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

/** The eight 16-bit groups of an IPv6 address (a trailing dotted IPv4 part allowed); undefined when it is not one. */
function ipv6Groups(ip: string): number[] | undefined {
  let text = ip;
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = ipv4Parts(dotted[2]!);
    if (!v4) return undefined;
    text = `${dotted[1]}${((v4[0]! << 8) | v4[1]!).toString(16)}:${((v4[2]! << 8) | v4[3]!).toString(16)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const parse = (part: string) => (part === "" ? [] : part.split(":"));
  const head = parse(halves[0]!);
  const tail = halves.length === 2 ? parse(halves[1]!) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return undefined;
  return groups.map((g) => parseInt(g, 16));
}

/** The IPv4 address in groups g and g+1. */
const v4In = (groups: readonly number[], g: number) =>
  [groups[g]! >> 8, groups[g]! & 0xff, groups[g + 1]! >> 8, groups[g + 1]! & 0xff].join(".");

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
  const groups = ipv6Groups(ip.toLowerCase().replace(/^\[|\]$/g, ""));
  if (!groups) return true; // not an address at all: refuse rather than guess
  const [first, second] = groups as [number, number];
  const zeroTo = (n: number) => groups.slice(0, n).every((g) => g === 0);
  if (zeroTo(8) || (zeroTo(7) && groups[7] === 1)) return true; // :: and ::1
  // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d), in either notation: the IPv4 address decides.
  if (zeroTo(5) && (groups[5] === 0xffff || groups[5] === 0)) return isPrivateAddress(v4In(groups, 6));
  if (first === 0x2002) return isPrivateAddress(v4In(groups, 1)); // 6to4 carries an IPv4 address
  return (
    (first & 0xfe00) === 0xfc00 || // fc00::/7 unique local
    (first & 0xffc0) === 0xfe80 || // fe80::/10 link local
    (first & 0xffc0) === 0xfec0 || // fec0::/10 site local (deprecated)
    (first & 0xff00) === 0xff00 || // multicast
    (first === 0x64 && second === 0xff9b) // NAT64 of anything, including private v4
  );
}

/** Parses and checks a webhook URL; throws WebhookUrlError saying why it is refused. `resolve` null: names are not resolved. */
export async function checkWebhookUrl(raw: string, resolve: ResolveHost | null, allowPrivate: boolean): Promise<URL> {
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
  // "localhost." is localhost: a name's trailing dot goes.
  const host = url.hostname.replace(/^\[|\]$/g, "").replace(/\.$/, "");
  const literal = ipv4Parts(host) !== undefined || host.includes(":");
  if (host === "localhost" || host.endsWith(".localhost")) throw new WebhookUrlError("resolves to a loopback address");
  if (!literal && resolve === null) return url;
  const addresses = literal || resolve === null ? [host] : await resolve(host);
  if (addresses.length === 0) throw new WebhookUrlError(`host ${host} does not resolve`);
  if (addresses.some(isPrivateAddress)) {
    throw new WebhookUrlError(`host ${host} resolves to a private, loopback or link-local address`);
  }
  return url;
}
