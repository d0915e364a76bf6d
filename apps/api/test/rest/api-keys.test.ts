/* eslint-disable @typescript-eslint/no-explicit-any -- black-box tests read untyped JSON bodies */
import { hashApiKey } from "@btick/auth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import {
  call,
  expectApiKeyShape,
  expectError,
  expectValidation,
  issueFor,
  json,
  MISSING_ID,
  RAW_KEY_RE,
  setup,
  type Harness,
  type Principal,
} from "./harness.ts";

let h: Harness;
let p: Principal;

beforeAll(async () => {
  h = await setup();
  p = await h.tenant();
}, 60_000);
afterAll(async () => {
  await h?.close();
});

async function mint(key: string, body: unknown) {
  return await call(h.app, "POST", "/api-keys", { key, body });
}

async function mintOk(key: string, body: Record<string, unknown>) {
  const res = await mint(key, body);
  if (res.statusCode !== 201) throw new Error(`mint failed: ${res.statusCode} ${res.body}`);
  return json(res) as { api_key: any; raw_key: string };
}

describe("POST /api-keys", () => {
  it("201 {api_key, raw_key}: key format, prefix, state, creator; raw key works once stored", async () => {
    const before = Date.now();
    const res = await mint(p.rawKey, { name: "ci", scopes: ["jobs:read", "runs:read"] });
    expect(res.statusCode).toBe(201);
    const body = json(res);
    expect(Object.keys(body).sort()).toEqual(["api_key", "raw_key"]);
    expect(body.raw_key).toMatch(RAW_KEY_RE);
    expect(body.raw_key).toHaveLength(49);
    const k = body.api_key;
    expectApiKeyShape(k);
    expect(k).toMatchObject({
      name: "ci",
      key_prefix: body.raw_key.slice(0, 16),
      scopes: ["jobs:read", "runs:read"],
      tenant_id: p.tenantId,
      created_by: `api_key:${p.keyId}`,
      last_used_at: null,
      expires_at: null,
      revoked_at: null,
      state: "active",
    });
    expect(Date.parse(k.created_at)).toBeGreaterThanOrEqual(before - 2000);

    // Only the SHA-256 of the whole raw key is stored; it never appears in a response.
    const row = await h.db.apiKey.findUniqueOrThrow({ where: { id: k.id } });
    expect(row.keyHash).toBe(hashApiKey(body.raw_key));
    expect(row.keyPrefix).toBe(k.key_prefix);
    expect(res.body).not.toContain(row.keyHash);
    expect(res.body).not.toMatch(/hash/i);

    // The new key authenticates with exactly its scopes.
    expect((await call(h.app, "GET", "/jobs", { key: body.raw_key })).statusCode).toBe(200);
    expectError(await call(h.app, "GET", "/api-keys", { key: body.raw_key }), 403);
  });

  it("keys are distinct each time", async () => {
    const a = await mintOk(p.rawKey, { name: "a", scopes: ["jobs:read"] });
    const b = await mintOk(p.rawKey, { name: "b", scopes: ["jobs:read"] });
    expect(a.raw_key).not.toBe(b.raw_key);
    expect(a.api_key.key_prefix).not.toBe(b.api_key.key_prefix);
  });

  it("trims the name", async () => {
    const { api_key } = await mintOk(p.rawKey, { name: "  spaced  ", scopes: ["jobs:read"] });
    expect(api_key.name).toBe("spaced");
  });

  it("name is required, non-blank, bounded", async () => {
    expectValidation(await mint(p.rawKey, { scopes: ["jobs:read"] }), ["name"]);
    expectValidation(await mint(p.rawKey, { name: "   ", scopes: ["jobs:read"] }), ["name"]);
    expectValidation(await mint(p.rawKey, { name: 7, scopes: ["jobs:read"] }), ["name"]);
    expectValidation(await mint(p.rawKey, { name: "k".repeat(10_000), scopes: ["jobs:read"] }), ["name"]);
  });

  it("scopes must be a non-empty list of known scopes", async () => {
    expectValidation(await mint(p.rawKey, { name: "x" }), ["scopes"]);
    expectValidation(await mint(p.rawKey, { name: "x", scopes: [] }), ["scopes"]);
    expectValidation(await mint(p.rawKey, { name: "x", scopes: "jobs:read" }), ["scopes"]);
    for (const bad of ["jobs:admin", "JOBS:READ", "", "*"]) {
      const issues = expectValidation(await mint(p.rawKey, { name: "x", scopes: ["jobs:read", bad] }));
      expect(issues.some((i) => i.field.startsWith("scopes")), JSON.stringify(issues)).toBe(true);
    }
  });

  it("duplicate scopes are rejected or collapsed, never stored twice", async () => {
    const res = await mint(p.rawKey, { name: "dup", scopes: ["jobs:read", "jobs:read"] });
    if (res.statusCode === 201) {
      expect(json(res).api_key.scopes).toEqual(["jobs:read"]);
    } else {
      const issues = expectValidation(res);
      expect(issues.some((i) => i.field.startsWith("scopes"))).toBe(true);
    }
  });

  it("a key can mint only keys whose scopes are a subset of its own (403 otherwise)", async () => {
    const q = await h.tenant(["keys:write", "jobs:read"]);
    const count = await h.db.apiKey.count({ where: { tenantId: q.tenantId } });
    expectError(await mint(q.rawKey, { name: "esc", scopes: ["jobs:write"] }), 403);
    expectError(await mint(q.rawKey, { name: "esc", scopes: ["jobs:read", "jobs:delete"] }), 403);
    expectError(await mint(q.rawKey, { name: "esc", scopes: ["keys:read"] }), 403);
    expect(await h.db.apiKey.count({ where: { tenantId: q.tenantId } })).toBe(count);
    expect((await mintOk(q.rawKey, { name: "sub", scopes: ["jobs:read"] })).api_key.scopes).toEqual(["jobs:read"]);
    expect((await mintOk(q.rawKey, { name: "same", scopes: ["keys:write", "jobs:read"] })).api_key.scopes.sort()).toEqual([
      "jobs:read",
      "keys:write",
    ]);
  });

  describe("expires_at", () => {
    it("accepts RFC 3339 with an offset and returns it in UTC with ms", async () => {
      const { api_key } = await mintOk(p.rawKey, { name: "e", scopes: ["jobs:read"], expires_at: "2099-01-01T10:00:00+02:00" });
      expect(api_key.expires_at).toBe("2099-01-01T08:00:00.000Z");
      expect(api_key.state).toBe("active");
    });
    it("accepts fractional seconds and Z", async () => {
      const { api_key } = await mintOk(p.rawKey, { name: "e", scopes: ["jobs:read"], expires_at: "2099-06-30T23:59:59.123Z" });
      expect(api_key.expires_at).toBe("2099-06-30T23:59:59.123Z");
    });
    it("null or absent means never", async () => {
      expect((await mintOk(p.rawKey, { name: "n", scopes: ["jobs:read"], expires_at: null })).api_key.expires_at).toBeNull();
      expect((await mintOk(p.rawKey, { name: "n", scopes: ["jobs:read"] })).api_key.expires_at).toBeNull();
    });
    it("rejects a time in the past", async () => {
      const issues = expectValidation(
        await mint(p.rawKey, { name: "old", scopes: ["jobs:read"], expires_at: "2001-01-01T00:00:00Z" }),
        ["expires_at"],
      );
      expect(issueFor(issues, "expires_at").message.length).toBeGreaterThan(0);
    });
    it("rejects values that are not RFC 3339 date-times", async () => {
      for (const v of ["tomorrow", "2099-13-01T00:00:00Z", "2099-01-01", "2099-01-01 00:00:00", 4102444800, true]) {
        expectValidation(await mint(p.rawKey, { name: "bad", scopes: ["jobs:read"], expires_at: v }), ["expires_at"]);
      }
    });
  });

  it("rejects unknown fields and malformed JSON", async () => {
    expectValidation(await mint(p.rawKey, { name: "x", scopes: ["jobs:read"], tenant_id: MISSING_ID }), ["tenant_id"]);
    expectValidation(await mint(p.rawKey, { name: "x", scopes: ["jobs:read"], raw_key: "skd_x" }), ["raw_key"]);
    expectError(await call(h.app, "POST", "/api-keys", { key: p.rawKey, raw: '{"name":' }), 400, "invalid JSON body");
  });
});

describe("GET /api-keys", () => {
  it("200 {api_keys, next_cursor}: newest first, includes revoked and expired keys, never a raw key or hash", async () => {
    const q = await h.tenant();
    const minted = await mintOk(q.rawKey, { name: "listed", scopes: ["jobs:read"] });
    const expired = await h.addKey(q.tenantId, ["jobs:read"], {
      expiresAt: new Date(Date.now() - 60_000),
      createdAt: new Date(Date.now() + 1000),
      name: "expired",
    });
    const revoked = await h.addKey(q.tenantId, ["jobs:read"], {
      revokedAt: new Date(Date.now() - 60_000),
      createdAt: new Date(Date.now() + 2000),
      name: "revoked",
    });
    const res = await call(h.app, "GET", "/api-keys", { key: q.rawKey });
    expect(res.statusCode).toBe(200);
    const body = json(res);
    expect(Object.keys(body).sort()).toEqual(["api_keys", "next_cursor"]);
    expect(body.next_cursor).toBeNull();
    for (const k of body.api_keys) expectApiKeyShape(k);
    expect(body.api_keys.map((k: any) => k.id)).toEqual([revoked.keyId, expired.keyId, minted.api_key.id, q.keyId]);
    expect(body.api_keys.map((k: any) => k.state)).toEqual(["revoked", "expired", "active", "active"]);
    const listedMinted = body.api_keys.find((k: any) => k.id === minted.api_key.id);
    expect(listedMinted).toMatchObject({ ...minted.api_key, last_used_at: null });
    expect(res.body).not.toContain(minted.raw_key);
    expect(res.body).not.toContain(minted.raw_key.slice(17));
    expect(res.body).not.toContain(q.rawKey);
    expect(res.body).not.toMatch(/raw_key|hash/i);
  });

  it("sets last_used_at when a key authenticates", async () => {
    const q = await h.tenant();
    const other = await h.addKey(q.tenantId, ["jobs:read"]);
    const before = Date.now();
    expect((await call(h.app, "GET", "/jobs", { key: other.rawKey })).statusCode).toBe(200);
    // The write may be asynchronous: give it a moment.
    let row = await h.db.apiKey.findUniqueOrThrow({ where: { id: other.keyId } });
    for (let i = 0; i < 20 && row.lastUsedAt === null; i++) {
      await new Promise((r) => setTimeout(r, 50));
      row = await h.db.apiKey.findUniqueOrThrow({ where: { id: other.keyId } });
    }
    expect(row.lastUsedAt).not.toBeNull();
    expect(row.lastUsedAt?.getTime()).toBeGreaterThanOrEqual(before - 2000);
    const list = json(await call(h.app, "GET", "/api-keys", { key: q.rawKey })).api_keys;
    const listed = list.find((k: any) => k.id === other.keyId);
    expect(listed.last_used_at).toBe(row.lastUsedAt?.toISOString());
  });

  it("does not set last_used_at on a failed authentication", async () => {
    const q = await h.tenant();
    const revoked = await h.addKey(q.tenantId, ["jobs:read"], { revokedAt: new Date() });
    expectError(await call(h.app, "GET", "/jobs", { key: revoked.rawKey }), 401, "invalid api key");
    expect((await h.db.apiKey.findUniqueOrThrow({ where: { id: revoked.keyId } })).lastUsedAt).toBeNull();
  });
});

describe("POST /api-keys/{keyId}/revoke", () => {
  it("200 {api_key} with revoked_at and state revoked; the key then gets 401", async () => {
    const q = await h.tenant();
    const victim = await h.addKey(q.tenantId, ["jobs:read"]);
    expect((await call(h.app, "GET", "/jobs", { key: victim.rawKey })).statusCode).toBe(200);
    const before = Date.now();
    const res = await call(h.app, "POST", `/api-keys/${victim.keyId}/revoke`, { key: q.rawKey });
    expect(res.statusCode).toBe(200);
    const body = json(res);
    expect(Object.keys(body)).toEqual(["api_key"]);
    expectApiKeyShape(body.api_key);
    expect(body.api_key).toMatchObject({ id: victim.keyId, state: "revoked", tenant_id: q.tenantId });
    expect(Date.parse(body.api_key.revoked_at)).toBeGreaterThanOrEqual(before - 2000);
    expect(res.body).not.toMatch(/raw_key|hash/i);
    expectError(await call(h.app, "GET", "/jobs", { key: victim.rawKey }), 401, "invalid api key");
  });

  it("is idempotent and keeps the first revoked_at", async () => {
    const q = await h.tenant();
    const victim = await h.addKey(q.tenantId, ["jobs:read"]);
    const first = json(await call(h.app, "POST", `/api-keys/${victim.keyId}/revoke`, { key: q.rawKey })).api_key;
    await new Promise((r) => setTimeout(r, 20));
    const res = await call(h.app, "POST", `/api-keys/${victim.keyId}/revoke`, { key: q.rawKey });
    expect(res.statusCode).toBe(200);
    const second = json(res).api_key;
    expect(second.revoked_at).toBe(first.revoked_at);
    expect(second.state).toBe("revoked");
    const row = await h.db.apiKey.findUniqueOrThrow({ where: { id: victim.keyId } });
    expect(row.revokedAt?.toISOString()).toBe(first.revoked_at);
  });

  it("an expired key revoked reports state revoked", async () => {
    const q = await h.tenant();
    const old = await h.addKey(q.tenantId, ["jobs:read"], { expiresAt: new Date(Date.now() - 1000) });
    const res = json(await call(h.app, "POST", `/api-keys/${old.keyId}/revoke`, { key: q.rawKey }));
    expect(res.api_key.state).toBe("revoked");
  });

  it("a key may revoke itself; its next request gets 401", async () => {
    const q = await h.tenant(["keys:write", "jobs:read"]);
    const res = await call(h.app, "POST", `/api-keys/${q.keyId}/revoke`, { key: q.rawKey });
    expect(res.statusCode).toBe(200);
    expect(json(res).api_key.state).toBe("revoked");
    expectError(await call(h.app, "GET", "/jobs", { key: q.rawKey }), 401, "invalid api key");
  });

  it("404 for an unknown id, 400 invalid keyId for a non-UUID", async () => {
    expectError(await call(h.app, "POST", `/api-keys/${MISSING_ID}/revoke`, { key: p.rawKey }), 404);
    expectError(await call(h.app, "POST", "/api-keys/skd_abc/revoke", { key: p.rawKey }), 400, "invalid keyId");
  });
});
