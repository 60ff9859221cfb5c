/**
 * A webhook receiver on loopback for the webhook tests (Node and Workers edges): answers `status`,
 * records every delivery with when it came, and checks signatures per Standard Webhooks with
 * node:crypto, independently of the edge's WebCrypto signer.
 */
import { createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface Delivery {
  headers: IncomingHttpHeaders;
  body: string;
  answered: number;
  receivedMs: number;
}

export interface WebhookReceiver {
  /** What the next deliveries are answered. */
  status: number;
  readonly deliveries: Delivery[];
  readonly url: string;
  /** Resolves once `n` deliveries have arrived in all. */
  count(n: number): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<WebhookReceiver> {
  const deliveries: Delivery[] = [];
  let waiters: (() => void)[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      deliveries.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8"), answered: r.status, receivedMs: Date.now() });
      res.writeHead(r.status).end();
      const w = waiters;
      waiters = [];
      for (const f of w) f();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const r: WebhookReceiver = {
    status: 200,
    deliveries,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    async count(n) {
      while (deliveries.length < n) await new Promise<void>((resolve) => waiters.push(resolve));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return r;
}

/** Standard Webhooks verification, written from the specification with node:crypto. */
export function verifyDelivery(secret: string, d: Pick<Delivery, "headers" | "body">): boolean {
  const id = d.headers["webhook-id"] as string;
  const ts = d.headers["webhook-timestamp"] as string;
  const key = Buffer.from(secret.slice("whsec_".length), "base64");
  const expected = createHmac("sha256", key).update(`${id}.${ts}.${d.body}`).digest("base64");
  return (d.headers["webhook-signature"] as string).split(" ").some((s) => s === `v1,${expected}`);
}
