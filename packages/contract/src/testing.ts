// Test helpers shared by the contract's tests and the black-box REST tests: create a tenant, its user and an
// API key directly in the database (no HTTP), returning the raw key to use as a Bearer token.
import { randomBytes } from "node:crypto";

import { generateApiKey, SCOPES, type Scope } from "@btick/auth";
import type { Db } from "@btick/db";

export interface TestPrincipal {
  tenantId: string;
  userId: string;
  /** The full raw key, for `Authorization: Bearer <rawKey>`. */
  rawKey: string;
  keyId: string;
  keyPrefix: string;
  email: string;
}

export interface CreateTenantOptions {
  /** Key name; default "test key". */
  name?: string;
  expiresAt?: Date | null;
  revokedAt?: Date | null;
}

/**
 * Inserts a tenant, its user (with an unusable password hash) and one API key holding `scopes`
 * (default: all seven).
 */
export async function createTenantWithKey(
  db: Db,
  scopes: readonly Scope[] = SCOPES,
  options: CreateTenantOptions = {},
): Promise<TestPrincipal> {
  const email = `user-${randomBytes(6).toString("hex")}@example.test`;
  const tenant = await db.tenant.create({ data: {} });
  const user = await db.user.create({ data: { email, passwordHash: "!test-no-login", tenantId: tenant.id } });
  const key = await addApiKey(db, tenant.id, scopes, { ...options, createdBy: `user:${user.id}` });
  return { tenantId: tenant.id, userId: user.id, rawKey: key.rawKey, keyId: key.keyId, keyPrefix: key.keyPrefix, email };
}

/** Adds another API key to an existing tenant. */
export async function addApiKey(
  db: Db,
  tenantId: string,
  scopes: readonly Scope[] = SCOPES,
  options: CreateTenantOptions & { createdBy?: string } = {},
): Promise<{ rawKey: string; keyId: string; keyPrefix: string }> {
  const generated = generateApiKey();
  const key = await db.apiKey.create({
    data: {
      tenantId,
      name: options.name ?? "test key",
      keyPrefix: generated.prefix,
      keyHash: generated.hash,
      scopes: [...scopes],
      createdBy: options.createdBy ?? null,
      expiresAt: options.expiresAt ?? null,
      revokedAt: options.revokedAt ?? null,
    },
  });
  return { rawKey: generated.raw, keyId: key.id, keyPrefix: generated.prefix };
}
