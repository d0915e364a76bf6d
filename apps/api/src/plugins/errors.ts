// Fastify-level errors (body parsing, limits, unmatched routes, anything thrown outside a procedure) rendered
// as the API's error envelope. Internal errors are logged with their detail but answered generically.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";

import { errorEnvelope, INTERNAL_ERROR_MESSAGE, matchRestRoute, REST_BASE_PATH, type ErrorEnvelope } from "@btick/contract";

export const BODY_LIMIT_BYTES = 1024 * 1024;

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

export interface ErrorsOptions {
  /** Renders the 404 for a browser (Accept: text/html) asking for an unknown path outside /api and /trpc. */
  htmlNotFound?: (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>;
}

const wantsHtml = (request: FastifyRequest) => (request.headers.accept ?? "").includes("text/html");

async function errors(app: FastifyInstance, opts: ErrorsOptions): Promise<void> {
  app.setErrorHandler((err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const env = envelopeForFastifyError(err);
    if (env.status >= 500) request.log.error({ err }, "request failed");
    else request.log.info({ code: err.code, message: err.message }, "request rejected");
    return sendEnvelope(reply, env);
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split("?")[0] ?? "/";
    const rest = path.startsWith(`${REST_BASE_PATH}/`) ? matchRestRoute(request.method, path.slice(REST_BASE_PATH.length)) : null;
    const allowed =
      rest?.kind === "method-not-allowed"
        ? rest.allow
        : METHODS.filter((m) => m !== request.method && app.hasRoute({ url: path, method: m }));
    if (allowed.length > 0) {
      void reply.header("allow", allowed.join(", "));
      return sendEnvelope(reply, errorEnvelope(405, "method not allowed"));
    }
    if (opts.htmlNotFound && request.method === "GET" && wantsHtml(request) && !/^\/(api|trpc)(\/|$)/.test(path)) {
      return opts.htmlNotFound(request, reply);
    }
    return sendEnvelope(reply, errorEnvelope(404, "not found"));
  });
}

export const errorsPlugin = fp(errors, { name: "btick-errors" });
