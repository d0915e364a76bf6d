// Transport-independent request context: the database plus the authenticated principal, if any.
// HTTP adapters pass the raw Authorization header; the server-side UI caller passes a resolved principal.
import { bearerToken, isScope, parseApiKey, verifyApiKey, type Scope } from "@btick/auth";
import type { Db } from "@btick/db";

import { DEFAULT_JOB_LIMITS, type JobLimits } from "./services/limits.ts";
import { developmentSecretsOptions, type SecretsOptions } from "./services/secrets.ts";

export interface Principal {
  kind: "user" | "api_key";
  /** User id or API-key id. */
  id: string;
  tenantId: string;
  scopes: readonly Scope[];
}

export type AuthFailure = "missing bearer token" | "invalid api key";

export interface Context {
  db: Db;
  principal: Principal | null;
  /** Why there is no principal; reported only by procedures that need one. */
  authFailure: AuthFailure | null;
  /** Encryption keyring and secret-header rules. */
  secrets: SecretsOptions;
  /** Tenant quotas and the job URL policy. */
  limits: JobLimits;
}

export interface CreateContextOptions {
  db: Db;
  /** The raw `Authorization` header value. */
  authorization?: string | undefined;
  /** A principal already authenticated by the caller (e.g. the UI session); skips header parsing. */
  principal?: Principal;
  /** The configured keyring and secret-header rules; default: the public development key (tests, tools). */
  secrets?: SecretsOptions;
  /** Tenant quotas and the job URL policy (main.ts builds them from the env); default: DEFAULT_JOB_LIMITS. */
  limits?: JobLimits;
}

/** `last_used_at` is written at most this often per key, so hot keys do not turn every read into a write. */
export const LAST_USED_RESOLUTION_MS = 60_000;

/** `created_by` value for rows made by a principal. */
export function principalRef(p: Principal): string {
  return `${p.kind}:${p.id}`;
}

/**
 * Authenticates a bearer API key: parse → look up by prefix → reject revoked/expired → constant-time verify →
 * touch last_used_at. Database errors propagate (they become 500s).
 */
export async function authenticateApiKey(db: Db, authorization: string | undefined, now = new Date()): Promise<Principal | AuthFailure> {
  const token = bearerToken(authorization);
  if (token === null) return "missing bearer token";
  const parsed = parseApiKey(token);
  if (!parsed) return "invalid api key";
  const key = await db.apiKey.findUnique({ where: { keyPrefix: parsed.prefix } });
  if (!key) return "invalid api key";
  if (key.revokedAt !== null) return "invalid api key";
  if (key.expiresAt !== null && key.expiresAt.getTime() <= now.getTime()) return "invalid api key";
  if (!verifyApiKey(token, key.keyHash)) return "invalid api key";
  if (key.lastUsedAt === null || now.getTime() - key.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
    await db.apiKey.updateMany({
      where: { id: key.id, OR: [{ lastUsedAt: null }, { lastUsedAt: { lte: new Date(now.getTime() - LAST_USED_RESOLUTION_MS) } }] },
      data: { lastUsedAt: now },
    });
  }
  return { kind: "api_key", id: key.id, tenantId: key.tenantId, scopes: key.scopes.filter(isScope) };
}

export async function createContext(opts: CreateContextOptions): Promise<Context> {
  const secrets = opts.secrets ?? developmentSecretsOptions();
  const limits = opts.limits ?? DEFAULT_JOB_LIMITS;
  if (opts.principal) return { db: opts.db, principal: opts.principal, authFailure: null, secrets, limits };
  if (opts.authorization === undefined) return { db: opts.db, principal: null, authFailure: "missing bearer token", secrets, limits };
  const result = await authenticateApiKey(opts.db, opts.authorization);
  return typeof result === "string"
    ? { db: opts.db, principal: null, authFailure: result, secrets, limits }
    : { db: opts.db, principal: result, authFailure: null, secrets, limits };
}
