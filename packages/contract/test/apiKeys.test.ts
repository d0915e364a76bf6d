// API-key authentication (context), minting, listing and revoking.
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createTestDatabase, type TestDatabase } from "@btick/db/testing";

import { authenticateApiKey, createCaller, createContext } from "../src/index.ts";
import { addApiKey, createTenantWithKey, type TestPrincipal } from "../src/testing.ts";
import { callerFor, rejection } from "./helpers.ts";

let db: TestDatabase;
let owner: TestPrincipal;

beforeAll(async () => {
  db = await createTestDatabase();
  owner = await createTenantWithKey(db.prisma);
});
afterAll(async () => {
  await db.drop();
});

describe("authentication", () => {
  it("accepts a valid key, case-insensitive scheme, and resolves its principal", async () => {
    const p = await authenticateApiKey(db.prisma, `bearer   ${owner.rawKey}  `);
    expect(p).toEqual({ kind: "api_key", id: owner.keyId, tenantId: owner.tenantId, scopes: expect.arrayContaining(["jobs:read", "keys:write"]) });
  });

  it.each([
    [undefined, "missing bearer token"],
    ["", "missing bearer token"],
    ["Basic abc", "missing bearer token"],
    ["Bearer not-a-key", "invalid api key"],
    ["Bearer skd_000000000000_secret", "invalid api key"],
  ])("rejects %j with %s", async (header, reason) => {
    expect(await authenticateApiKey(db.prisma, header)).toBe(reason);
  });

  it("rejects a wrong secret for an existing prefix, a revoked and an expired key", async () => {
    expect(await authenticateApiKey(db.prisma, `Bearer ${owner.keyPrefix}_wrongsecretwrongsecretwrongsecre`)).toBe("invalid api key");
    const revoked = await addApiKey(db.prisma, owner.tenantId, ["jobs:read"], { revokedAt: new Date() });
    expect(await authenticateApiKey(db.prisma, `Bearer ${revoked.rawKey}`)).toBe("invalid api key");
    const expired = await addApiKey(db.prisma, owner.tenantId, ["jobs:read"], { expiresAt: new Date(Date.now() - 1000) });
    expect(await authenticateApiKey(db.prisma, `Bearer ${expired.rawKey}`)).toBe("invalid api key");
    const future = await addApiKey(db.prisma, owner.tenantId, ["jobs:read"], { expiresAt: new Date(Date.now() + 60_000) });
    expect(await authenticateApiKey(db.prisma, `Bearer ${future.rawKey}`)).toMatchObject({ id: future.keyId });
  });

  it("updates last_used_at at most once a minute", async () => {
    const k = await addApiKey(db.prisma, owner.tenantId, ["jobs:read"]);
    const t0 = new Date("2030-01-01T00:00:00.000Z");
    await authenticateApiKey(db.prisma, `Bearer ${k.rawKey}`, t0);
    const read = async () => (await db.prisma.apiKey.findUniqueOrThrow({ where: { id: k.keyId } })).lastUsedAt?.toISOString();
    expect(await read()).toBe(t0.toISOString());
    await authenticateApiKey(db.prisma, `Bearer ${k.rawKey}`, new Date(t0.getTime() + 30_000));
    expect(await read()).toBe(t0.toISOString());
    const t2 = new Date(t0.getTime() + 61_000);
    await authenticateApiKey(db.prisma, `Bearer ${k.rawKey}`, t2);
    expect(await read()).toBe(t2.toISOString());
  });

  it("procedures report the reason as UNAUTHORIZED; public ones still work", async () => {
    const anon = createCaller(await createContext({ db: db.prisma }));
    const { error, envelope } = await rejection(anon.jobs.list({}));
    expect(error.code).toBe("UNAUTHORIZED");
    expect(envelope).toEqual({ status: 401, error: { error_code: "UNAUTHORIZED", error_message: "missing bearer token" } });
    const bad = createCaller(await createContext({ db: db.prisma, authorization: "Bearer skd_000000000000_x" }));
    expect((await rejection(bad.jobs.list({}))).envelope.error.error_message).toBe("invalid api key");
    expect(await bad.health.check()).toEqual({ status: "ok" });
  });

  it("accepts a pre-resolved UI user principal", async () => {
    const ui = createCaller(
      await createContext({
        db: db.prisma,
        principal: { kind: "user", id: owner.userId, tenantId: owner.tenantId, scopes: ["jobs:read", "jobs:write"] },
      }),
    );
    const { job } = await ui.jobs.create({ name: "from ui", method: "GET", url: "https://example.com/x", cron_expression: "@daily" });
    expect(job.created_by).toBe(`user:${owner.userId}`);
  });
});

describe("apiKeys.create", () => {
  it("mints a key shown once, usable immediately, with deduplicated scopes", async () => {
    const api = await callerFor(db.prisma, owner.rawKey);
    const res = await api.apiKeys.create({ name: " ci ", scopes: ["runs:read", "jobs:read", "jobs:read"] });
    expect(res.raw_key).toMatch(/^skd_[0-9a-f]{12}_[A-Za-z0-9_-]{32}$/);
    expect(res.api_key).toMatchObject({
      name: "ci",
      scopes: ["jobs:read", "runs:read"],
      key_prefix: res.raw_key.slice(0, 16),
      tenant_id: owner.tenantId,
      created_by: `api_key:${owner.keyId}`,
      state: "active",
      revoked_at: null,
      expires_at: null,
    });
    expect(JSON.stringify(res.api_key)).not.toContain(res.raw_key.slice(17));
    const minted = await callerFor(db.prisma, res.raw_key);
    expect((await minted.jobs.list({})).jobs).toBeInstanceOf(Array);
  });

  it("cannot grant scopes the caller does not hold (403)", async () => {
    const limited = await createTenantWithKey(db.prisma, ["keys:write", "jobs:read"]);
    const api = await callerFor(db.prisma, limited.rawKey);
    expect((await api.apiKeys.create({ name: "sub", scopes: ["jobs:read"] })).api_key.scopes).toEqual(["jobs:read"]);
    const { error, envelope } = await rejection(api.apiKeys.create({ name: "escalate", scopes: ["jobs:read", "jobs:delete"] }));
    expect(error.code).toBe("FORBIDDEN");
    expect(envelope.status).toBe(403);
    expect(envelope.error.error_message).toContain("jobs:delete");
  });

  it("validates name, scopes and expires_at", async () => {
    const api = await callerFor(db.prisma, owner.rawKey);
    const { envelope } = await rejection(
      api.apiKeys.create({ name: "", scopes: [], expires_at: "tomorrow" } as never),
    );
    expect(envelope.validation?.map((v) => v.field).sort()).toEqual(["expires_at", "name", "scopes"]);
    const bad = await rejection(api.apiKeys.create({ name: "x", scopes: ["jobs:admin"] } as never));
    expect(bad.envelope.validation).toEqual([{ field: "scopes.0", message: expect.stringContaining("must be one of") }]);
    const past = await rejection(api.apiKeys.create({ name: "x", scopes: ["jobs:read"], expires_at: "2001-01-01T00:00:00Z" }));
    expect(past.envelope.validation).toEqual([{ field: "expires_at", message: "must be in the future" }]);
    const ok = await api.apiKeys.create({ name: "x", scopes: ["jobs:read"], expires_at: "2099-01-01T00:00:00+02:00" });
    expect(ok.api_key.expires_at).toBe("2098-12-31T22:00:00.000Z");
  });
});

describe("apiKeys.list / revoke", () => {
  it("revoke is idempotent and keeps the first revoked_at; the key stops working", async () => {
    const api = await callerFor(db.prisma, owner.rawKey);
    const { api_key, raw_key } = await api.apiKeys.create({ name: "temp", scopes: ["jobs:read"] });
    const first = await api.apiKeys.revoke({ keyId: api_key.id });
    expect(first.api_key.state).toBe("revoked");
    expect(first.api_key.revoked_at).not.toBeNull();
    await new Promise((r) => setTimeout(r, 20));
    const second = await api.apiKeys.revoke({ keyId: api_key.id });
    expect(second.api_key.revoked_at).toBe(first.api_key.revoked_at);
    expect(await authenticateApiKey(db.prisma, `Bearer ${raw_key}`)).toBe("invalid api key");
  });

  it("another tenant's key is 404 and stays active", async () => {
    const other = await createTenantWithKey(db.prisma);
    const api = await callerFor(db.prisma, owner.rawKey);
    const { error } = await rejection(api.apiKeys.revoke({ keyId: other.keyId }));
    expect(error.code).toBe("NOT_FOUND");
    expect((await db.prisma.apiKey.findUniqueOrThrow({ where: { id: other.keyId } })).revokedAt).toBeNull();
  });

  it("lists the tenant's keys newest first with states, paginated", async () => {
    const t = await createTenantWithKey(db.prisma);
    await addApiKey(db.prisma, t.tenantId, ["jobs:read"], { name: "expired", expiresAt: new Date(Date.now() - 1000) });
    await addApiKey(db.prisma, t.tenantId, ["jobs:read"], { name: "revoked", revokedAt: new Date() });
    const api = await callerFor(db.prisma, t.rawKey);
    const page1 = await api.apiKeys.list({ limit: 2 });
    expect(page1.api_keys.map((k) => [k.name, k.state])).toEqual([
      ["revoked", "revoked"],
      ["expired", "expired"],
    ]);
    expect(page1.next_cursor).not.toBeNull();
    const page2 = await api.apiKeys.list({ limit: 2, cursor: page1.next_cursor ?? undefined });
    expect(page2.api_keys.map((k) => [k.name, k.state])).toEqual([["test key", "active"]]);
    expect(page2.next_cursor).toBeNull();
    expect(page2.api_keys[0]?.tenant_id).toBe(t.tenantId);
  });
});
