// Builds the configured Fastify instance without listening (tests use app.inject()).
import { randomUUID } from "node:crypto";

import formbody from "@fastify/formbody";
import Fastify, { type FastifyInstance, type FastifyServerOptions } from "fastify";

import type { SecretsOptions } from "@btick/contract";
import type { Db } from "@btick/db";

import { BODY_LIMIT_BYTES, errorsPlugin } from "./plugins/errors.ts";
import { healthPlugin } from "./plugins/health.ts";
import { openapiPlugin } from "./plugins/openapi.ts";
import { restPlugin } from "./plugins/rest.ts";
import { trpcPlugin } from "./plugins/trpc.ts";

export interface ServerDeps {
  db: Db;
  /** Fastify/pino logger: false (default) for silence, true or pino options to log. */
  logger?: FastifyServerOptions["logger"];
  /** Keyring and secret-header rules (main.ts builds them from the env); default: the public development key. */
  secrets?: SecretsOptions;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: deps.logger ?? false,
    bodyLimit: BODY_LIMIT_BYTES,
    routerOptions: { maxParamLength: 5000 },
    requestIdHeader: false,
    // Keep a caller's X-Request-Id when it is sane, so logs correlate across services.
    genReqId: (req) => {
      const given = req.headers["x-request-id"];
      return typeof given === "string" && REQUEST_ID.test(given) ? given : randomUUID();
    },
  });

  app.addHook("onRequest", async (request, reply) => {
    void reply.header("x-request-id", request.id);
  });

  await app.register(errorsPlugin);
  await app.register(formbody);
  await app.register(healthPlugin, { db: deps.db });
  await app.register(openapiPlugin);
  await app.register(trpcPlugin, { db: deps.db, secrets: deps.secrets });
  await app.register(restPlugin, { db: deps.db, secrets: deps.secrets });
  return app;
}
