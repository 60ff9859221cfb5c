import { describe, expect, it } from "vitest";
import { formatSseMessage, readSseStream, SseParser, SSE_KEEPALIVE } from "../../../shared/contract/sse.ts";

describe("SSE framing", () => {
  it("parses what it formats, whatever the chunking", () => {
    const text =
      formatSseMessage("progress", '{"step":1,"total":2}') +
      SSE_KEEPALIVE +
      formatSseMessage("image", "line1\nline2", "7");
    for (let split = 1; split < text.length; split++) {
      const p = new SseParser();
      const got = [...p.push(text.slice(0, split)), ...p.push(text.slice(split))];
      expect(got).toEqual([
        { event: "progress", data: '{"step":1,"total":2}' },
        { event: "image", data: "line1\nline2", id: "7" },
      ]);
    }
  });

  it("accepts CRLF and CR line ends, even split between chunks, and defaults the event to message", () => {
    const p = new SseParser();
    expect([...p.push("data: a\r"), ...p.push("\n\r\n"), ...p.push("event: x\rdata:b\r\r")]).toEqual([
      { event: "message", data: "a" },
      { event: "x", data: "b" },
    ]);
  });

  it("drops a final message without its blank line", async () => {
    const enc = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(enc.encode(formatSseMessage("done", "{}")));
        c.enqueue(enc.encode("event: error\ndata: {}\n"));
        c.close();
      },
    });
    const got = [];
    for await (const m of readSseStream(body)) got.push(m.event);
    expect(got).toEqual(["done"]);
  });

  it("refuses event names with newlines", () => {
    expect(() => formatSseMessage("a\nb", "x")).toThrow(TypeError);
  });
});
