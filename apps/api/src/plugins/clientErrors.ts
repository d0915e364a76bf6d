// Requests that Node's HTTP parser refuses before Fastify sees them (headers over the size limit, a malformed request,
// a request that took too long to arrive) are answered here, on the raw socket: with the error envelope under /api
// and /trpc (and when the path cannot be read), with a small HTML page elsewhere, then the connection is closed.
import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";

import { errorEnvelope } from "@btick/contract";

/** What a `clientError` carries: Node's parser error code and, for parse errors, the bytes received so far. */
interface ClientError extends Error {
  code?: string;
  rawPacket?: unknown;
}

const MESSAGES: Record<number, string> = {
  400: "malformed HTTP request",
  408: "the request was not received in time",
  431: "request headers too large: the request line and headers together may be at most 16 KiB",
};

function statusFor(err: ClientError): number {
  if (err.code === "HPE_HEADER_OVERFLOW") return 431;
  if (err.code === "ERR_HTTP_REQUEST_TIMEOUT") return 408;
  return 400;
}

/** The request path from the start of the raw request (`GET /path?query HTTP/1.1`), or null when unreadable. */
export function requestPathOf(rawPacket: unknown): string | null {
  if (!Buffer.isBuffer(rawPacket)) return null;
  const match = /^[A-Z]+ (\/[^\s?#]*)/.exec(rawPacket.subarray(0, 8192).toString("latin1"));
  return match?.[1] ?? null;
}

const isHtmlPath = (path: string | null) => path !== null && !/^\/(api|trpc)(\/|$)/.test(path);

function htmlPage(status: number, message: string): string {
  const title = `${status} ${STATUS_CODES[status] ?? "Error"}`;
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1><p>${message}.</p></body></html>\n`;
}

/** The raw HTTP response for a refused request: the envelope, or an HTML page outside the API. */
export function clientErrorResponse(err: ClientError): string {
  const status = statusFor(err);
  const message = MESSAGES[status] ?? "bad request";
  const html = isHtmlPath(requestPathOf(err.rawPacket));
  const body = html ? htmlPage(status, message) : JSON.stringify(errorEnvelope(status, message));
  const headers = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Error"}`,
    `Content-Type: ${html ? "text/html" : "application/json"}; charset=utf-8`,
    `Content-Length: ${Buffer.byteLength(body)}`,
    "X-Content-Type-Options: nosniff",
    ...(html ? ["Content-Security-Policy: default-src 'none'"] : []),
    "Connection: close",
  ];
  return `${headers.join("\r\n")}\r\n\r\n${body}`;
}

/** Fastify's `clientErrorHandler`: answers like Node would (then closes), in the API's own format. */
export function clientErrorHandler(err: ClientError, socket: Socket): void {
  // A reset connection has nobody left to answer.
  if (err.code === "ECONNRESET" || socket.destroyed) return;
  if (socket.writable) socket.write(clientErrorResponse(err));
  socket.destroy(err);
}
