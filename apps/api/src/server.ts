// Builds the configured Fastify instance without listening (tests use app.inject()).
import { randomUUID } from "node:crypto";

import formbody from "@fastify/formbody";
import Fastify, { type FastifyInstance, type FastifyServerOptions } from "fastify";

import { DEV_SESSION_SECRET } from "@btick/config";
import type { Db } from "@btick/db";

import { docsPlugin } from "./plugins/docs.ts";
import { BODY_LIMIT_BYTES, errorsPlugin } from "./plugins/errors.ts";
import { healthPlugin } from "./plugins/health.ts";
import { jsonBodyPlugin } from "./plugins/jsonBody.ts";
import { openapiPlugin } from "./plugins/openapi.ts";
import { restPlugin } from "./plugins/rest.ts";
import { trpcPlugin } from "./plugins/trpc.ts";
import { standaloneNotFound, uiPlugin, type ThrottleOptions } from "./plugins/ui.ts";

export interface ServerDeps {
  db: Db;
  /** Fastify/pino logger: false (default) for silence, true or pino options to log. */
  logger?: FastifyServerOptions["logger"];
  /** Web UI settings (defaults: the development secret, 12-hour sessions). */
  ui?: {
    sessionSecret?: string;
    sessionTtlHours?: number;
    /** Sign-in/registration throttling limits (tests lower them). */
    throttle?: Partial<ThrottleOptions>;
  };
  /** Trust X-Forwarded-For/-Proto from a reverse proxy (TRUST_PROXY). */
  trustProxy?: boolean;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: deps.logger ?? false,
    bodyLimit: BODY_LIMIT_BYTES,
    routerOptions: { maxParamLength: 5000 },
    requestIdHeader: false,
    trustProxy: deps.trustProxy ?? false,
    // Keep a caller's X-Request-Id when it is sane, so logs correlate across services.
    genReqId: (req) => {
      const given = req.headers["x-request-id"];
      return typeof given === "string" && REQUEST_ID.test(given) ? given : randomUUID();
    },
  });

  app.addHook("onRequest", async (request, reply) => {
    void reply.header("x-request-id", request.id);
  });

  await app.register(errorsPlugin, { htmlNotFound: standaloneNotFound });
  await app.register(jsonBodyPlugin);
  await app.register(formbody);
  await app.register(healthPlugin, { db: deps.db });
  await app.register(openapiPlugin);
  await app.register(docsPlugin);
  await app.register(trpcPlugin, { db: deps.db });
  await app.register(restPlugin, { db: deps.db });
  await app.register(uiPlugin, {
    db: deps.db,
    sessionSecret: deps.ui?.sessionSecret ?? DEV_SESSION_SECRET,
    sessionTtlHours: deps.ui?.sessionTtlHours ?? 12,
    throttle: deps.ui?.throttle,
  });
  return app;
}
