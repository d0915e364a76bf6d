// Builds the configured Fastify instance without listening (tests use app.inject()).
import { randomUUID } from "node:crypto";

import formbody from "@fastify/formbody";
import Fastify, { type FastifyInstance, type FastifyServerOptions } from "fastify";

import { DEV_SESSION_SECRET } from "@btick/config";
import { errorEnvelope, type JobLimits, type SecretsOptions } from "@btick/contract";
import type { Db } from "@btick/db";

import { clientErrorHandler } from "./plugins/clientErrors.ts";
import { docsPlugin } from "./plugins/docs.ts";
import { BODY_LIMIT_BYTES, errorsPlugin, sendEnvelope, wantsHtmlError } from "./plugins/errors.ts";
import { healthPlugin } from "./plugins/health.ts";
import { jsonBodyPlugin } from "./plugins/jsonBody.ts";
import { metricsPlugin } from "./plugins/metrics.ts";
import { openapiPlugin } from "./plugins/openapi.ts";
import { rememberRequestPath } from "./plugins/requestPath.ts";
import { restPlugin } from "./plugins/rest.ts";
import { ApiKeyBuckets, securityPlugin, type SecurityOptions } from "./plugins/security.ts";
import { trpcPlugin } from "./plugins/trpc.ts";
import { standaloneErrorPages, uiPlugin, type ThrottleOptions } from "./plugins/ui.ts";

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
  /** Keyring and secret-header rules (main.ts builds them from the env); default: the public development key. */
  secrets?: SecretsOptions;
  /** Tenant quotas and the job URL policy; default: DEFAULT_JOB_LIMITS (private targets refused). */
  limits?: JobLimits;
  /** Rate limits (main.ts passes the env's); default: none, so in-process tests are not throttled. */
  security?: SecurityOptions;
  /** Serve GET /metrics (default true). */
  metrics?: boolean;
  /** Trust X-Forwarded-* headers from a reverse proxy (client IP, https). Default false. */
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
    // Errors raised before routing (a malformed percent-encoding in the path): the envelope under the API, an
    // HTML page on the UI's paths (and for browsers elsewhere), like every other error.
    frameworkErrors: (_err, req, reply) => {
      if (wantsHtmlError(standaloneErrorPages, req.url, req.headers.accept)) {
        void standaloneErrorPages.render(reply, 400, "The address is malformed (it contains broken percent-encoding).");
      } else {
        void sendEnvelope(reply, errorEnvelope(400, "malformed URL"));
      }
    },
    // Requests Node's parser refuses (oversized headers: 431) never reach Fastify's handlers.
    clientErrorHandler,
    // Keep a caller's X-Request-Id when it is sane, so logs correlate across services.
    genReqId: (req) => {
      const given = req.headers["x-request-id"];
      return typeof given === "string" && REQUEST_ID.test(given) ? given : randomUUID();
    },
  });

  app.addHook("onRequest", async (request, reply) => {
    rememberRequestPath(request);
    void reply.header("x-request-id", request.id);
  });

  await app.register(errorsPlugin, { html: standaloneErrorPages });
  await app.register(jsonBodyPlugin);
  if (deps.metrics !== false) await app.register(metricsPlugin);
  // The rate limiter's record of verified keys, fed by the API's context factories after each authentication.
  const buckets = new ApiKeyBuckets();
  await app.register(securityPlugin, { ...(deps.security ?? { rateLimitPerMinute: 0, authFailuresPerMinute: 0 }), buckets });
  await app.register(formbody);
  await app.register(healthPlugin, { db: deps.db });
  await app.register(openapiPlugin);
  await app.register(docsPlugin);
  await app.register(trpcPlugin, { db: deps.db, secrets: deps.secrets, limits: deps.limits, buckets });
  await app.register(restPlugin, { db: deps.db, secrets: deps.secrets, limits: deps.limits, buckets });
  await app.register(uiPlugin, {
    db: deps.db,
    secrets: deps.secrets,
    limits: deps.limits,
    sessionSecret: deps.ui?.sessionSecret ?? DEV_SESSION_SECRET,
    sessionTtlHours: deps.ui?.sessionTtlHours ?? 12,
    throttle: deps.ui?.throttle,
  });
  return app;
}
