/**
 * One response's Server-Sent-Events stream: typed runtime events in, SSE bytes out, keepalive comments
 * while idle, and a callback when the client goes away (the stream is cancelled).
 */
import { formatSseMessage, SSE_KEEPALIVE, type RuntimeEventInput } from "../../shared/contract/index.ts";

export class SseStream {
  readonly body: ReadableStream<Uint8Array>;
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  private readonly encoder = new TextEncoder();
  private open = true;
  private keepalive: NodeJS.Timeout | undefined;

  constructor(onClientGone: () => void, keepaliveMs = 15_000) {
    this.body = new ReadableStream<Uint8Array>({
      start: (c) => {
        this.controller = c;
      },
      cancel: () => {
        this.stop();
        onClientGone();
      },
    });
    this.keepalive = setInterval(() => this.write(SSE_KEEPALIVE), keepaliveMs);
    this.keepalive.unref();
  }

  get isOpen(): boolean {
    return this.open;
  }

  send(event: RuntimeEventInput): void {
    this.write(formatSseMessage(event.type, JSON.stringify(event.data)));
  }

  /** Ends the stream (after a `done` or `error` event). */
  close(): void {
    if (!this.open) return;
    this.stop();
    try {
      this.controller.close();
    } catch {
      // Already closed by the client.
    }
  }

  private write(text: string): void {
    if (!this.open) return;
    try {
      this.controller.enqueue(this.encoder.encode(text));
    } catch {
      this.stop();
    }
  }

  private stop(): void {
    this.open = false;
    clearInterval(this.keepalive);
  }
}
