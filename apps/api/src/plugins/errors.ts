// Fastify-level errors (body parsing, limits, unmatched routes, anything thrown outside a procedure) rendered
// as the API's error envelope. Internal errors are logged with their detail but answered generically.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";

import { errorEnvelope, INTERNAL_ERROR_MESSAGE, matchRestRoute, REST_BASE_PATH, type ErrorEnvelope } from "@btick/contract";

export const BODY_LIMIT_BYTES = 1024 * 1024;

export const NOT_FOUND_PAGE_MESSAGE = "This page does not exist, or what it shows was deleted or belongs to someone else.";

const INVALID_JSON_CODES = new Set(["FST_ERR_CTP_INVALID_JSON_BODY", "FST_ERR_CTP_EMPTY_JSON_BODY"]);
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;

export function envelopeForFastifyError(err: FastifyError): ErrorEnvelope {
  const status = typeof err.statusCode === "number" && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
  if (err.code === "BTICK_INVALID_JSON_BODY") return errorEnvelope(400, err.message);
  if (err.code === "BTICK_UNSUPPORTED_MEDIA_TYPE") return errorEnvelope(415, err.message);
  if (INVALID_JSON_CODES.has(err.code) || (status === 400 && err instanceof SyntaxError)) return errorEnvelope(400, "invalid JSON body");
  if (status === 413) return errorEnvelope(413, "request body too large (limit 1 MiB)");
  if (status === 431) return errorEnvelope(431, "request headers too large");
  if (status === 415) return errorEnvelope(415, "unsupported content type; send application/json");
  if (status >= 500) return errorEnvelope(status, INTERNAL_ERROR_MESSAGE);
  return errorEnvelope(status, err.message);
}

export function sendEnvelope(reply: FastifyReply, env: ErrorEnvelope): FastifyReply {
  return reply.status(env.status).type("application/json; charset=utf-8").send(env);
}

/** HTML error pages for paths outside the API (the web UI's, plugins/ui.ts). */
export interface HtmlErrors {
  /** Paths whose errors are always HTML pages (the UI's own); others get one only when a browser asks. */
  owns(path: string): boolean;
  render(reply: FastifyReply, status: number, message: string): Promise<FastifyReply>;
}

export interface ErrorsOptions {
  html?: HtmlErrors;
}

const pathOf = (url: string) => url.split("?")[0] ?? "/";
const isApi = (path: string) => /^\/(api|trpc)(\/|$)/.test(path);

/**
 * Whether an error raised outside the UI's own handlers (unmatched route, wrong method, malformed URL) is answered
 * with an HTML page: never under /api and /trpc; always on the UI's paths; elsewhere when a browser asks for HTML.
 */
export function wantsHtmlError(html: HtmlErrors | undefined, url: string, accept: string | undefined): html is HtmlErrors {
  const path = pathOf(url);
  return html !== undefined && !isApi(path) && (html.owns(path) || (accept ?? "").includes("text/html"));
}

async function errors(app: FastifyInstance, opts: ErrorsOptions): Promise<void> {
  app.setErrorHandler((err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const env = envelopeForFastifyError(err);
    if (env.status >= 500) request.log.error({ err }, "request failed");
    else request.log.info({ code: err.code, message: err.message }, "request rejected");
    return sendEnvelope(reply, env);
  });

  app.setNotFoundHandler((request, reply) => {
    const path = pathOf(request.url);
    const rest = path.startsWith(`${REST_BASE_PATH}/`) ? matchRestRoute(request.method, path.slice(REST_BASE_PATH.length)) : null;
    const allowed =
      rest?.kind === "method-not-allowed"
        ? rest.allow
        : METHODS.filter((m) => m !== request.method && app.hasRoute({ url: path, method: m }));
    const html = wantsHtmlError(opts.html, path, request.headers.accept) ? opts.html : undefined;
    if (allowed.length > 0) {
      void reply.header("allow", allowed.join(", "));
      if (html) return html.render(reply, 405, "This address does not accept that kind of request.");
      return sendEnvelope(reply, errorEnvelope(405, "method not allowed"));
    }
    if (html && (request.method === "GET" || request.method === "HEAD")) return html.render(reply, 404, NOT_FOUND_PAGE_MESSAGE);
    return sendEnvelope(reply, errorEnvelope(404, "not found"));
  });
}

export const errorsPlugin = fp(errors, { name: "btick-errors" });
