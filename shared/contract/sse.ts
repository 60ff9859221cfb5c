/**
 * Server-Sent-Events framing (WHATWG HTML §9.2), both directions: the runtime and the edge write
 * with formatSseMessage; the edge's runtime client and tests read with SseParser / readSseStream.
 */

export interface SseMessage {
  /** "message" when the stream gave no `event:` field. */
  readonly event: string;
  readonly data: string;
  readonly id?: string;
}

export const SSE_CONTENT_TYPE = "text/event-stream";

/** One message; data lines are split so a newline in data cannot break framing. */
export function formatSseMessage(event: string, data: string, id?: string): string {
  if (/[\r\n]/.test(event) || (id !== undefined && /[\r\n]/.test(id))) {
    throw new TypeError("SSE event names and ids cannot contain newlines");
  }
  let out = `event: ${event}\n`;
  if (id !== undefined) out += `id: ${id}\n`;
  for (const line of data.split(/\r\n|\r|\n/)) out += `data: ${line}\n`;
  return out + "\n";
}

/** A comment line: keeps proxies from closing an idle stream. */
export const SSE_KEEPALIVE = ": keepalive\n\n";

/** Incremental parser: push text chunks in any split, get complete messages out. */
export class SseParser {
  #buffer = "";
  #event = "";
  #data: string[] = [];
  #id: string | undefined;
  #pendingCr = false;

  push(chunk: string): SseMessage[] {
    let text = chunk;
    // A CRLF split across chunks: the CR already ended the line, so drop the LF.
    if (this.#pendingCr && text.startsWith("\n")) text = text.slice(1);
    this.#pendingCr = text.endsWith("\r");
    this.#buffer += text;
    const out: SseMessage[] = [];
    const lines = this.#buffer.split(/\r\n|\r|\n/);
    this.#buffer = lines.pop() ?? "";
    for (const line of lines) {
      const message = this.#line(line);
      if (message) out.push(message);
    }
    return out;
  }

  #line(line: string): SseMessage | undefined {
    if (line === "") {
      if (this.#data.length === 0) {
        this.#event = "";
        return undefined;
      }
      const message: SseMessage = {
        event: this.#event || "message",
        data: this.#data.join("\n"),
        ...(this.#id !== undefined ? { id: this.#id } : {}),
      };
      this.#event = "";
      this.#data = [];
      return message;
    }
    if (line.startsWith(":")) return undefined;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") this.#event = value;
    else if (field === "data") this.#data.push(value);
    else if (field === "id" && !value.includes("\0")) this.#id = value;
    return undefined;
  }
}

/** Messages of a byte stream, in order. An incomplete final message (no blank line) is dropped, as the spec says. */
export async function* readSseStream(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const parser = new SseParser();
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      yield* parser.push(decoder.decode(value, { stream: true }));
    }
    finished = true;
    yield* parser.push(decoder.decode());
  } finally {
    // A consumer that stops early cancels the body, which closes the connection upstream.
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
