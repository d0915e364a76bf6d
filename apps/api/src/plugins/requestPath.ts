// The request path as it arrived. The REST adapter rewrites request.url (and with it originalUrl) to strip the
// base path while it handles a request, so hooks that run later (metrics, limits) read the path remembered here.
import type { FastifyRequest } from "fastify";

const paths = new WeakMap<object, string>();

const pathOf = (url: string) => url.split("?")[0] ?? "/";

/** Called from the first onRequest hook. */
export function rememberRequestPath(request: FastifyRequest): void {
  paths.set(request.raw, pathOf(request.url));
}

export function requestPath(request: FastifyRequest): string {
  return paths.get(request.raw) ?? pathOf(request.url);
}
