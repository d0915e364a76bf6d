// The tRPC context of requests to /api/v1 and /trpc: authenticates the bearer key (packages/contract), then reports
// to the rate limiter whether the key verified, so that only verified keys are counted in a bucket of their own
// (see ApiKeyBuckets in security.ts).
import type { FastifyInstance, FastifyRequest } from "fastify";

import { createContext, type Context, type JobLimits, type SecretsOptions } from "@btick/contract";
import type { Db } from "@btick/db";

import type { ApiKeyBuckets } from "./security.ts";

export interface ApiContextOptions {
  db: Db;
  secrets?: SecretsOptions | undefined;
  limits?: JobLimits | undefined;
  /** The rate limiter's record of verified keys; without it, authentications are not reported. */
  buckets?: ApiKeyBuckets | undefined;
}

/** Context factory: `calls` is how many procedure calls the request holds (a tRPC batch), each counted once. */
export function apiContextFactory(app: FastifyInstance, opts: ApiContextOptions): (request: FastifyRequest, calls?: number) => Promise<Context> {
  const charge = opts.buckets && app.hasDecorator("createRateLimit") ? app.createRateLimit() : null;
  return async (request, calls = 1) => {
    const header = request.headers.authorization;
    const ctx = await createContext({
      db: opts.db,
      authorization: typeof header === "string" ? header : undefined,
      secrets: opts.secrets,
      limits: opts.limits,
    });
    if (opts.buckets?.authenticated(request, ctx.principal !== null) && charge) {
      // Counted against the client IP before the key was known to be valid: count it against the key as well.
      for (let i = 0; i < calls; i++) await charge(request);
    }
    return ctx;
  };
}
