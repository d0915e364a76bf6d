import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { verifyApiKey } from "@btick/auth";
import { createTestDatabase, type TestDatabase } from "@btick/db/testing";

import { createTenantWithKey } from "../src/testing.ts";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

describe("createTenantWithKey", () => {
  it("inserts a tenant, a user and a key whose raw value verifies", async () => {
    const p = await createTenantWithKey(db.prisma, ["jobs:read"]);
    const key = await db.prisma.apiKey.findUniqueOrThrow({ where: { id: p.keyId } });
    expect(key.tenantId).toBe(p.tenantId);
    expect(key.scopes).toEqual(["jobs:read"]);
    expect(verifyApiKey(p.rawKey, key.keyHash)).toBe(true);
    const user = await db.prisma.user.findUniqueOrThrow({ where: { id: p.userId } });
    expect(user.tenantId).toBe(p.tenantId);
  });
});
