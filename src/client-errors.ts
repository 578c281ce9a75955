import http from 'node:http';
import type { Duplex } from 'node:stream';

/** Node's limit on the request line and headers together (--max-http-header-size). */
const MAX_HEADER_KIB = Math.round(http.maxHeaderSize / 1024);

const ANSWERS: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, `the request line and headers are larger than ${MAX_HEADER_KIB} KiB`],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, 'the chunk extensions are too large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'the request did not arrive in time'],
};

/**
 * A request Node cannot parse (a URL too long for its header limit, a malformed request line) never reaches a
 * handler: Node answers it with a bare status line. This answers with the same status, in the one JSON error shape.
 */
export function answerClientErrors(server: http.Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    // As Node's own handler: never write into an answer that has started (a pipelined request's).
    const inFlight = (socket as { _httpMessage?: http.ServerResponse })._httpMessage;
    if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const [status, message] = ANSWERS[error.code ?? ''] ?? [400, 'malformed HTTP request'];
    const body = JSON.stringify({ error: message, details: [] });
    socket.end(
      `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nconnection: close\r\ncontent-type: application/json; charset=utf-8\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  });
}
