// The REST surface (/api/v1/...) served by trpc-to-openapi from the same router. This plugin adds what the
// adapter does not do itself: 201/202 success statuses, 404/405 for unknown routes, bodiless POSTs, and the
// error envelope in place of the adapter's error body.
import type { FastifyInstance, FastifyRequest } from "fastify";
import { fastifyTRPCOpenApiPlugin } from "trpc-to-openapi";

import { appRouter, errorEnvelope, matchRestRoute, REST_BASE_PATH, successStatusFor, type ErrorEnvelope } from "@btick/contract";

import { apiContextFactory, type ApiContextOptions } from "./apiContext.ts";
import { sendEnvelope } from "./errors.ts";
import { jsonOnlyParser } from "./jsonBody.ts";

const BODY_METHODS = new Set(["POST", "PUT", "PATCH"]);

function isEnvelope(v: unknown): v is ErrorEnvelope {
  return typeof v === "object" && v !== null && typeof (v as ErrorEnvelope).status === "number" && typeof (v as ErrorEnvelope).error === "object";
}

function isPlainObject(v: unknown): boolean {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export async function restPlugin(app: FastifyInstance, opts: ApiContextOptions): Promise<void> {
  // Bodies are JSON: application/json, application/*+json (application/merge-patch+json is the PATCH media type),
  // or no Content-Type at all. Any other type is a 415, unless the body is empty (`curl -X POST -d ''` on an action).
  // Only this scope: the web UI's form posts keep their parsers.
  for (const type of ["application/x-www-form-urlencoded", "text/plain"]) {
    if (app.hasContentTypeParser(type)) app.removeContentTypeParser(type);
  }
  app.addContentTypeParser("*", { parseAs: "string" }, jsonOnlyParser);

  app.addHook("preHandler", async (request, reply) => {
    const path = (request.url.split("?")[0] ?? "").slice(REST_BASE_PATH.length) || "/";
    const match = matchRestRoute(request.method, path);
    if (match.kind === "none") return sendEnvelope(reply, errorEnvelope(404, "not found"));
    if (match.kind === "method-not-allowed") {
      void reply.header("allow", match.allow.join(", "));
      return sendEnvelope(reply, errorEnvelope(405, "method not allowed"));
    }
    // The adapter drops empty query values ("?limit="), silently applying defaults; wrapping them in an array
    // gets them through unchanged, so validation sees and rejects them.
    const query = request.query as Record<string, unknown> | undefined;
    if (query && typeof query === "object") {
      for (const [key, value] of Object.entries(query)) if (value === "") query[key] = [""];
    }
    if (BODY_METHODS.has(request.method)) {
      if (request.body === undefined || (request.body === null && !request.headers["content-type"])) {
        // Action endpoints (pause, resume, trigger, revoke) take no body: treat an empty one as `{}`.
        request.headers["content-type"] = "application/json";
        request.body = {};
      } else if (!isPlainObject(request.body)) {
        return sendEnvelope(reply, errorEnvelope(400, "invalid JSON body: expected an object"));
      } else {
        // Parsed as JSON above whatever was declared; the adapter only takes bodies labelled as JSON.
        request.headers["content-type"] = "application/json";
      }
    }
  });

  app.addHook("onSend", async (_request, reply, payload) => {
    if (reply.statusCode < 400 || typeof payload !== "string") return payload;
    let body: unknown;
    try {
      body = JSON.parse(payload);
    } catch {
      return payload;
    }
    if (isEnvelope(body)) return payload;
    const envelope = (body as { data?: { envelope?: unknown } } | null)?.data?.envelope;
    if (isEnvelope(envelope)) {
      void reply.status(envelope.status);
      return JSON.stringify(envelope);
    }
    return JSON.stringify(errorEnvelope(reply.statusCode, reply.statusCode >= 500 ? "internal server error" : "request failed"));
  });

  const createContext = apiContextFactory(app, opts);
  await app.register(fastifyTRPCOpenApiPlugin, {
    basePath: REST_BASE_PATH,
    router: appRouter,
    // The adapter hands over the Fastify request (decorated with Node's request methods).
    createContext: ({ req }: { req: unknown }) => createContext(req as FastifyRequest),
    responseMeta: ({ paths, errors }: { paths?: readonly string[]; errors: readonly unknown[] }) => {
      const path = paths?.[0];
      return errors.length === 0 && path ? { status: successStatusFor(path) } : {};
    },
    onError: ({ error, path, req }: { error: { code: string; cause?: unknown }; path?: string; req: unknown }) => {
      if (error.code === "INTERNAL_SERVER_ERROR") (req as FastifyRequest).log.error({ err: error.cause ?? error, path }, "procedure failed");
    },
  });
}
