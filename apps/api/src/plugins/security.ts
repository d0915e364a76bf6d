// Security headers and abuse limits for the whole server:
// - @fastify/helmet with a CSP that allows only the server's own scripts and styles; HSTS only on https requests
//   (directly, or via X-Forwarded-Proto with TRUST_PROXY).
// - @fastify/rate-limit on /api/v1 and /trpc: `rateLimitPerMinute` requests per API key that verified (per client IP
//   for every other request, forged or unknown keys included: see ApiKeyBuckets).
// - Failed authentication: after `authFailuresPerMinute` 401 answers to one client IP within a minute, that IP
//   gets 429 for the rest of the window (guessing keys gets slow fast).
// Counters live in this process: with several API replicas each enforces its own limits.
// The web UI's sign-in, registration and password-change throttles are its own (plugins/ui.ts): they do not
// depend on these API limits.
import helmet from "@fastify/helmet";
import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance, FastifyRequest } from "fastify";
import fp from "fastify-plugin";

import { bearerToken, hashApiKey, parseApiKey, verifyApiKey } from "@btick/auth";
import { errorEnvelope, REST_BASE_PATH } from "@btick/contract";

import { sendEnvelope } from "./errors.ts";
import { requestPath } from "./requestPath.ts";
import { FixedWindowCounter } from "./windowCounter.ts";

export interface SecurityOptions {
  /** Requests per minute per verified API key (or client IP) under /api/v1 and /trpc; 0 disables. */
  rateLimitPerMinute: number;
  /** 401 answers per minute per client IP before that IP is refused with 429; 0 disables. */
  authFailuresPerMinute: number;
  /** The keys that verified (shared with the API's context factory, which reports authentications); default: a new one. */
  buckets?: ApiKeyBuckets;
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

/** The bearer token of a request that presents a well-formed API key, with the key's public prefix. */
function presentedKey(request: FastifyRequest): { token: string; prefix: string } | null {
  const auth = request.headers.authorization;
  const token = bearerToken(typeof auth === "string" ? auth : undefined);
  const parsed = token === null ? null : parseApiKey(token);
  return parsed && token !== null ? { token, prefix: parsed.prefix } : null;
}

/**
 * Chooses the rate-limit bucket of a request. The limiter runs before authentication (which needs the database), so
 * it recognizes a key by the SHA-256 of the keys that authenticated earlier in this process: such a key is counted
 * in a bucket of its own, whatever address it comes from. Every other request is counted against its client IP,
 * including one carrying an unknown, revoked or forged `skd_<prefix>_…` token: knowing a key's public prefix does
 * not let anyone spend that key's requests. A key's first request (per process) is therefore counted against the
 * IP; the context factory charges it to the key as well once the key has verified (`authenticated`).
 */
export class ApiKeyBuckets {
  /** Key prefix → lowercase hex SHA-256 of the whole key, in insertion order (the oldest is dropped when full). */
  private readonly verified = new Map<string, string>();
  /** Requests presenting a well-formed key that were counted against their IP. */
  private readonly countedByIp = new WeakSet<FastifyRequest>();

  constructor(private readonly maxKeys = 10_000) {}

  private isVerified(key: { token: string; prefix: string }): boolean {
    const hash = this.verified.get(key.prefix);
    return hash !== undefined && verifyApiKey(key.token, hash);
  }

  /** The request's bucket: `key:<prefix>` for a key that verified before, else `ip:<client ip>`. */
  bucketFor(request: FastifyRequest): string {
    const key = presentedKey(request);
    if (key && this.isVerified(key)) return `key:${key.prefix}`;
    if (key) this.countedByIp.add(request);
    return `ip:${request.ip}`;
  }

  /**
   * Reports how the request's bearer key fared in authentication: a key that verified is remembered, one that no
   * longer does (revoked, expired) forgotten. True when the request was counted against its IP although its key
   * verified, so the caller should charge it to the key too.
   */
  authenticated(request: FastifyRequest, verified: boolean): boolean {
    const key = presentedKey(request);
    if (!key) return false;
    if (!verified) {
      if (this.isVerified(key)) this.verified.delete(key.prefix);
      return false;
    }
    if (!this.isVerified(key)) {
      this.verified.delete(key.prefix);
      if (this.verified.size >= this.maxKeys) {
        const oldest = this.verified.keys().next();
        if (!oldest.done) this.verified.delete(oldest.value);
      }
      this.verified.set(key.prefix, hashApiKey(key.token.trim()));
    }
    return this.countedByIp.has(request);
  }
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
    const buckets = opts.buckets ?? new ApiKeyBuckets();
    await app.register(rateLimit, {
      global: true,
      max: opts.rateLimitPerMinute,
      timeWindow: WINDOW_MS,
      keyGenerator: (request) => buckets.bucketFor(request),
      allowList: (request) => !isLimitedPath(requestPath(request)),
      errorResponseBuilder: (_request, context) => ({ statusCode: 429, message: rateLimitExceededMessage(context.max, context.ttl) }),
    });
  }
}

export const securityPlugin = fp(security, { name: "btick-security" });
