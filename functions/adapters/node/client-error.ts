/**
 * Failures Node's HTTP parser sees before the app does (oversized headers, a malformed request)
 * answered as problem+json too: Node's default writes a bare status line with no body.
 */
import type { Server } from "node:http";
import type { Duplex } from "node:stream";
import { rawProblemResponse } from "../../middleware/problem/index.ts";

export function answerClientErrorsWithProblems(server: Pick<Server, "on">): void {
  server.on("clientError", (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === "ECONNRESET" || !socket.writable) {
      socket.destroy();
      return;
    }
    const response =
      err.code === "HPE_HEADER_OVERFLOW"
        ? rawProblemResponse(431, "headers_too_large", "Request header fields too large", "The request headers exceed the server's limit.")
        : err.code === "ERR_HTTP_REQUEST_TIMEOUT"
          ? rawProblemResponse(408, "request_timeout", "Request timeout", "The request was not received in time.")
          : rawProblemResponse(400, "malformed_request", "Bad request", "The request could not be parsed as HTTP/1.1.");
    socket.end(response);
  });
}
