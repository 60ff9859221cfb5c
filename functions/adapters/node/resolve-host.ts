/** Host names to addresses for the webhook SSRF check (the system resolver, as fetch uses it). */
import { lookup } from "node:dns/promises";
import type { ResolveHost } from "../../webhooks/ssrf.ts";

export const nodeResolveHost: ResolveHost = async (hostname) => {
  try {
    return (await lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);
  } catch {
    return [];
  }
};
