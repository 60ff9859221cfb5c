/**
 * A GPU runtime that misbehaves on purpose, as a real process (node --import tsx fault-runtime.ts
 * <mode>): it speaks the wire contract's framing and prints "listening <port>" once up.
 *   die      accepted, then the process kills itself (SIGKILL) before any step
 *   hang     accepts the connection and sends nothing at all
 *   garbage  200 text/event-stream, then bytes that are not the contract
 *   complete accepted, progress per step, one small PNG per image, done
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import sharp from "sharp";
import { encodeBase64 } from "../../../shared/contract/base64.ts";
import { formatSseMessage } from "../../../shared/contract/sse.ts";

const mode = process.argv[2] ?? "complete";

const server = createServer((req, res) => {
  let body = "";
  req.setEncoding("utf8");
  req.on("data", (d: string) => (body += d));
  req.on("end", () => {
    if (req.url === "/healthz") {
      res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
      return;
    }
    if (mode === "hang") return; // no status line, no bytes
    const r = JSON.parse(body) as { requestId: string; steps: number; numImages: number; width: number; height: number; seed: number };
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    const send = (type: string, data: unknown) => res.write(formatSseMessage(type, JSON.stringify(data)));
    if (mode === "garbage") {
      res.write("\u0000\u00ff not an event stream {{{\n\ndata: [1,2\n\nevent: progress\ndata: nope\n\n");
      res.end();
      return;
    }
    send("accepted", { requestId: r.requestId, queuePosition: 0 });
    if (mode === "die") {
      setTimeout(() => process.kill(process.pid, "SIGKILL"), 20);
      return;
    }
    void (async () => {
      for (let step = 1; step <= r.steps; step++) send("progress", { step, total: r.steps });
      for (let i = 0; i < r.numImages; i++) {
        const png = await sharp({ create: { width: r.width, height: r.height, channels: 3, background: { r: 10 * i, g: 80, b: 160 } } }).png().toBuffer();
        send("image", { index: i, mimeType: "image/png", width: r.width, height: r.height, seed: r.seed + i, data: encodeBase64(png) });
      }
      send("done", { images: r.numImages, elapsedMs: 1 });
      res.end();
    })();
  });
});
server.listen(0, "127.0.0.1", () => console.log(`listening ${(server.address() as AddressInfo).port}`));
