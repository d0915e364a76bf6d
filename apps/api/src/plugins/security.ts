// Security headers and abuse limits for the whole server:
// - @fastify/helmet with a CSP that allows only the server's own scripts and styles; HSTS only on https requests
//   (directly, or via X-Forwarded-Proto with TRUST_PROXY).
// - @fastify/rate-limit on /api/v1 and /trpc: `rateLimitPerMinute` requests per API key (per client IP when the
//   request carries no well-formed key).
// - Failed authentication: after `authFailuresPerMinute` 401 answers to one client IP within a minute, that IP
//   gets 429 for the rest of the window (guessing keys gets slow fast).
// Counters live in this process: with several API replicas each enforces its own limits.
// The web UI's sign-in, registration and password-change throttles are its own (plugins/ui.ts): they do not
// depend on these API limits.
import helmet from "@fastify/helmet";
import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance, FastifyRequest } from "fastify";
import fp from "fastify-plugin";

import { bearerToken, parseApiKey } from "@btick/auth";
import { errorEnvelope, REST_BASE_PATH } from "@btick/contract";

import { sendEnvelope } from "./errors.ts";
import { requestPath } from "./requestPath.ts";
import { FixedWindowCounter } from "./windowCounter.ts";

export interface SecurityOptions {
  /** Requests per minute per API key (or client IP) under /api/v1 and /trpc; 0 disables. */
  rateLimitPerMinute: number;
  /** 401 answers per minute per client IP before that IP is refused with 429; 0 disables. */
  authFailuresPerMinute: number;
}

const WINDOW_MS = 60_000;
const HSTS = "max-age=31536000; includeSubDomains";

export const CONTENT_SECURITY_POLICY = {
  "default-src": ["'self'"],
  "script-src": ["'self'"],
  "style-src": ["'self'"],
  "img-src": ["'self'", "data:"],
  "font-src": ["'self'"],
  "connect-src": ["'self'"],
  "form-action": ["'self'"],
  "frame-ancestors": ["'none'"],
  "base-uri": ["'self'"],
  "object-src": ["'none'"],
};

/** The policy as a header value, with some directives replaced (e.g. a per-response style nonce on /docs). */
export function contentSecurityPolicy(overrides: Partial<Record<keyof typeof CONTENT_SECURITY_POLICY, string[]>> = {}): string {
  return Object.entries({ ...CONTENT_SECURITY_POLICY, ...overrides })
    .map(([name, values]) => `${name} ${values.join(" ")}`)
    .join(";");
}

export const isApiPath = (url: string) => url.startsWith(`${REST_BASE_PATH}/`) || url === REST_BASE_PATH || url.startsWith("/trpc/");
/** The API's health probe: like /healthz and /readyz, never rate-limited nor locked out, so monitoring keeps working. */
const isHealthPath = (url: string) => url === `${REST_BASE_PATH}/health` || url === `${REST_BASE_PATH}/health/`;
const isLimitedPath = (url: string) => isApiPath(url) && !isHealthPath(url);

/** Rate-limit bucket: the API key's public prefix when the bearer token is a well-formed key, else the client IP. */
export function rateLimitKey(request: FastifyRequest): string {
  const auth = request.headers.authorization;
  const token = bearerToken(typeof auth === "string" ? auth : undefined);
  const parsed = token === null ? null : parseApiKey(token);
  return parsed ? `key:${parsed.prefix}` : `ip:${request.ip}`;
}

/** The 429 message of the per-key rate limit (also used for the extra calls of a tRPC batch). */
export function rateLimitExceededMessage(max: number, ttlMs: number): string {
  return `rate limit exceeded: at most ${max} requests per minute; retry in ${Math.max(1, Math.ceil(ttlMs / 1000))} seconds`;
}

async function security(app: FastifyInstance, opts: SecurityOptions): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
    // frame-ancestors 'none' already forbids framing; DENY says the same to browsers that only read X-Frame-Options.
    frameguard: { action: "deny" },
    referrerPolicy: { policy: "same-origin" },
    hsts: false,
  });
  app.addHook("onRequest", async (request, reply) => {
    if (request.protocol === "https") void reply.header("strict-transport-security", HSTS);
  });

  if (opts.authFailuresPerMinute > 0) {
    const failures = new FixedWindowCounter(opts.authFailuresPerMinute, WINDOW_MS);
    app.addHook("onRequest", async (request, reply) => {
      if (!isLimitedPath(requestPath(request))) return;
      const wait = failures.blockedFor(request.ip);
      if (wait === 0) return;
      void reply.header("retry-after", String(wait));
      return sendEnvelope(reply, errorEnvelope(429, `too many failed authentication attempts; retry in ${wait} seconds`));
    });
    app.addHook("onResponse", async (request, reply) => {
      if (reply.statusCode === 401 && isApiPath(requestPath(request))) failures.record(request.ip);
    });
  }

  if (opts.rateLimitPerMinute > 0) {
    await app.register(rateLimit, {
      global: true,
      max: opts.rateLimitPerMinute,
      timeWindow: WINDOW_MS,
      keyGenerator: rateLimitKey,
      allowList: (request) => !isLimitedPath(requestPath(request)),
      errorResponseBuilder: (_request, context) => ({ statusCode: 429, message: rateLimitExceededMessage(context.max, context.ttl) }),
    });
  }
}

export const securityPlugin = fp(security, { name: "btick-security" });
