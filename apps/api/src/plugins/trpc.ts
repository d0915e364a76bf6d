// The tRPC endpoint (for @trpc/client and the SDK): /trpc/<procedure>, batching enabled. A batch runs one
// procedure per call, so it is bounded (TRPC_MAX_BATCH_SIZE calls) and each call counts toward the rate limit.
import { fastifyTRPCPlugin, type FastifyTRPCPluginOptions } from "@trpc/server/adapters/fastify";
import type { FastifyInstance, FastifyRequest } from "fastify";

import { appRouter, errorEnvelope, TRPC_MAX_BATCH_SIZE, type AppRouter } from "@btick/contract";

import { apiContextFactory, type ApiContextOptions } from "./apiContext.ts";
import { sendEnvelope } from "./errors.ts";
import { mediaType, UnsupportedMediaTypeError } from "./jsonBody.ts";
import { rateLimitExceededMessage } from "./security.ts";

const PREFIX = "/trpc";

/** Calls in a tRPC request: the comma-separated procedure paths of a batch (`?batch=1`), else 1. */
export function trpcCallCount(request: FastifyRequest): number {
  const [path = "", search = ""] = request.url.split("?", 2);
  if (new URLSearchParams(search).get("batch") !== "1") return 1;
  return path.slice(PREFIX.length + 1).split(",").length;
}

/** Whether the request carries a body (a Content-Length above 0, or a chunked one). */
function hasBody(request: FastifyRequest): boolean {
  const length = request.headers["content-length"];
  return request.headers["transfer-encoding"] !== undefined || (length !== undefined && length !== "0");
}

export async function trpcPlugin(app: FastifyInstance, opts: ApiContextOptions): Promise<void> {
  // tRPC takes application/json only here (no procedure takes files): refuse other bodies before its own form-data
  // and binary handling sees them.
  app.addHook("onRequest", async (request, reply) => {
    const type = request.headers["content-type"];
    if (typeof type !== "string" || type.trim() === "" || !hasBody(request) || mediaType(type) === "application/json") return;
    return sendEnvelope(reply, errorEnvelope(415, new UnsupportedMediaTypeError(type, "application/json").message));
  });

  // The rate limiter (when enabled) counts each request once; charge the other calls of a batch as well.
  if (app.hasDecorator("createRateLimit")) {
    const charge = app.createRateLimit();
    app.addHook("onRequest", async (request, reply) => {
      const extra = trpcCallCount(request) - 1;
      for (let i = 0; i < extra; i++) {
        const result = await charge(request);
        if (result.isAllowed) return;
        if (result.isExceeded) {
          void reply.header("retry-after", String(result.ttlInSeconds));
          void reply.header("x-ratelimit-limit", String(result.max)).header("x-ratelimit-remaining", "0").header("x-ratelimit-reset", String(result.ttlInSeconds));
          return sendEnvelope(reply, errorEnvelope(429, rateLimitExceededMessage(result.max, result.ttl)));
        }
      }
    });
  }

  const createContext = apiContextFactory(app, opts);
  await app.register(fastifyTRPCPlugin, {
    prefix: PREFIX,
    trpcOptions: {
      router: appRouter,
      maxBatchSize: TRPC_MAX_BATCH_SIZE,
      createContext: ({ req }) => createContext(req, trpcCallCount(req)),
      onError({ error, path, req }) {
        if (error.code === "INTERNAL_SERVER_ERROR") req.log.error({ err: error.cause ?? error, path }, "procedure failed");
      },
    } satisfies FastifyTRPCPluginOptions<AppRouter>["trpcOptions"],
  });
}
