// API key operations: mint (scopes must be a subset of the caller's), list, revoke (idempotent).
import { TRPCError } from "@trpc/server";

import { generateApiKey } from "@btick/auth";
import { Prisma, type Db } from "@btick/db";

import { principalRef, type Principal } from "../context.ts";
import type { ApiKeyCreateInput, ApiKeyListInput, ApiKeyOutput } from "../schemas/apiKeys.ts";
import { isUniqueViolation, notFound } from "./db.ts";
import { checkApiKeyQuota, DEFAULT_JOB_LIMITS, type JobLimits } from "./limits.ts";
import { inIdOrder, pageOfIds } from "./pagination.ts";
import { toApiKey } from "./serialize.ts";

/** Creating a key waits for the tenant's other key creates (the quota lock); bound that wait. */
const CREATE_TRANSACTION = { maxWait: 5_000, timeout: 10_000 };

/** Mints a key; the tenant's active-key quota is checked in the transaction that inserts it (see checkApiKeyQuota). */
export async function createApiKey(
  db: Db,
  principal: Principal,
  input: ApiKeyCreateInput,
  limits: JobLimits = DEFAULT_JOB_LIMITS,
): Promise<{ api_key: ApiKeyOutput; raw_key: string }> {
  const missing = input.scopes.filter((s) => !principal.scopes.includes(s));
  if (missing.length > 0) {
    throw new TRPCError({ code: "FORBIDDEN", message: `cannot grant scopes the caller does not hold: ${missing.join(", ")}` });
  }
  // A 48-bit prefix collision is astronomically unlikely; retry once (in a new transaction) rather than fail.
  for (let attempt = 0; ; attempt++) {
    const generated = generateApiKey();
    try {
      const key = await db.$transaction(async (tx) => {
        await checkApiKeyQuota(tx, principal.tenantId, limits);
        return tx.apiKey.create({
          data: {
            tenantId: principal.tenantId,
            name: input.name,
            keyPrefix: generated.prefix,
            keyHash: generated.hash,
            scopes: input.scopes,
            createdBy: principalRef(principal),
            expiresAt: input.expires_at === null ? null : new Date(input.expires_at),
          },
        });
      }, CREATE_TRANSACTION);
      return { api_key: toApiKey(key), raw_key: generated.raw };
    } catch (err) {
      if (attempt === 0 && isUniqueViolation(err)) continue;
      throw err;
    }
  }
}

export async function listApiKeys(db: Db, tenantId: string, input: ApiKeyListInput): Promise<{ api_keys: ApiKeyOutput[]; next_cursor: string | null }> {
  const page = await pageOfIds(db, {
    table: "api_keys",
    orderColumn: "created_at",
    conditions: [Prisma.sql`tenant_id = ${tenantId}::uuid`],
    cursor: input.cursor,
    limit: input.limit,
  });
  const rows = page.ids.length > 0 ? await db.apiKey.findMany({ where: { id: { in: page.ids }, tenantId } }) : [];
  const now = new Date();
  return { api_keys: inIdOrder(page.ids, rows).map((k) => toApiKey(k, now)), next_cursor: page.nextCursor };
}

/** Revokes a key of the caller's tenant. Revoking again is not an error and keeps the first revoked_at. */
export async function revokeApiKey(db: Db, tenantId: string, keyId: string): Promise<ApiKeyOutput> {
  await db.apiKey.updateMany({ where: { id: keyId, tenantId, revokedAt: null }, data: { revokedAt: new Date() } });
  const key = await db.apiKey.findFirst({ where: { id: keyId, tenantId } });
  if (!key) throw notFound("api key");
  return toApiKey(key);
}
