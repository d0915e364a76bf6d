/* eslint-disable @typescript-eslint/no-explicit-any -- black-box tests read untyped JSON bodies */
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import {
  call,
  createJob,
  expectError,
  insertRun,
  json,
  SCOPES,
  setup,
  validJob,
  type Harness,
  type Method,
  type Principal,
  type Scope,
} from "./harness.ts";

let h: Harness;
let p: Principal;
let job: any;
let run: any;

beforeAll(async () => {
  h = await setup();
  p = await h.tenant();
  job = await createJob(h.app, p.rawKey);
  run = await insertRun(h.db, job);
}, 60_000);
afterAll(async () => {
  await h?.close();
});

interface Op {
  name: string;
  method: Method;
  scope: Scope;
  status: number;
  /** Builds a fresh request (a new target where the operation is destructive). */
  make(): Promise<{ path: string; body?: unknown }>;
}

const OPS: Op[] = [
  { name: "jobs.create", method: "POST", scope: "jobs:write", status: 201, make: async () => ({ path: "/jobs", body: validJob() }) },
  { name: "jobs.list", method: "GET", scope: "jobs:read", status: 200, make: async () => ({ path: "/jobs" }) },
  { name: "jobs.get", method: "GET", scope: "jobs:read", status: 200, make: async () => ({ path: `/jobs/${job.id}` }) },
  {
    name: "jobs.update",
    method: "PATCH",
    scope: "jobs:write",
    status: 200,
    make: async () => ({ path: `/jobs/${job.id}`, body: { name: "renamed" } }),
  },
  {
    name: "jobs.delete",
    method: "DELETE",
    scope: "jobs:delete",
    status: 200,
    make: async () => ({ path: `/jobs/${(await createJob(h.app, p.rawKey)).id}` }),
  },
  { name: "jobs.pause", method: "POST", scope: "jobs:write", status: 200, make: async () => ({ path: `/jobs/${job.id}/pause` }) },
  { name: "jobs.resume", method: "POST", scope: "jobs:write", status: 200, make: async () => ({ path: `/jobs/${job.id}/resume` }) },
  { name: "jobs.trigger", method: "POST", scope: "jobs:trigger", status: 202, make: async () => ({ path: `/jobs/${job.id}/trigger` }) },
  { name: "runs.list", method: "GET", scope: "runs:read", status: 200, make: async () => ({ path: `/jobs/${job.id}/runs` }) },
  { name: "runs.get", method: "GET", scope: "runs:read", status: 200, make: async () => ({ path: `/runs/${run.id}` }) },
  {
    name: "apiKeys.create",
    method: "POST",
    scope: "keys:write",
    status: 201,
    make: async () => ({ path: "/api-keys", body: { name: "minted", scopes: ["keys:write"] } }),
  },
  { name: "apiKeys.list", method: "GET", scope: "keys:read", status: 200, make: async () => ({ path: "/api-keys" }) },
  {
    name: "apiKeys.revoke",
    method: "POST",
    scope: "keys:write",
    status: 200,
    make: async () => ({ path: `/api-keys/${(await h.addKey(p.tenantId, ["jobs:read"])).keyId}/revoke` }),
  },
];

describe("401 on every protected operation", () => {
  for (const op of OPS) {
    it(`${op.name}: missing, malformed and invalid credentials`, async () => {
      const { path, body } = await op.make();
      const send = (headers: Record<string, string>) => call(h.app, op.method, path, { body, headers });
      expectError(await send({}), 401, "missing bearer token");
      expectError(await send({ authorization: "" }), 401, "missing bearer token");
      expectError(await send({ authorization: `Basic ${Buffer.from("a:b").toString("base64")}` }), 401, "missing bearer token");
      expectError(await send({ authorization: "Bearer" }), 401, "missing bearer token");
      expectError(await send({ authorization: "Bearer    " }), 401, "missing bearer token");
      expectError(await send({ authorization: p.rawKey }), 401, "missing bearer token");
      expectError(await send({ authorization: "Bearer not-a-key" }), 401, "invalid api key");
      expectError(await send({ authorization: "Bearer skd_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" }), 401, "invalid api key");
      // Right prefix, wrong secret.
      expectError(await send({ authorization: `Bearer ${p.rawKey.slice(0, 17)}${"A".repeat(32)}` }), 401, "invalid api key");
      // Extra characters after a valid key.
      expectError(await send({ authorization: `Bearer ${p.rawKey}x` }), 401, "invalid api key");
    });
  }

  it("the 401 envelope is exact", async () => {
    const res = await call(h.app, "GET", "/jobs");
    expect(res.statusCode).toBe(401);
    expect(json(res)).toEqual({ status: 401, error: { error_code: "UNAUTHORIZED", error_message: "missing bearer token" } });
    const res2 = await call(h.app, "GET", "/jobs", { key: "skd_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" });
    expect(json(res2)).toEqual({ status: 401, error: { error_code: "UNAUTHORIZED", error_message: "invalid api key" } });
  });

  it("401 requests change nothing", async () => {
    const count = await h.db.job.count();
    expectError(await call(h.app, "POST", "/jobs", { body: validJob() }), 401);
    expectError(await call(h.app, "POST", "/jobs", { body: validJob(), key: "skd_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" }), 401);
    expect(await h.db.job.count()).toBe(count);
  });
});

describe("bearer parsing", () => {
  it("the scheme is case-insensitive and surrounding whitespace is ignored", async () => {
    for (const header of [`bearer ${p.rawKey}`, `BEARER ${p.rawKey}`, `  Bearer   ${p.rawKey}  `]) {
      const res = await call(h.app, "GET", "/jobs", { headers: { authorization: header } });
      expect(res.statusCode, header).toBe(200);
    }
  });

  it("cookies are not accepted", async () => {
    expectError(await call(h.app, "GET", "/jobs", { headers: { cookie: `session=${p.rawKey}` } }), 401, "missing bearer token");
  });
});

describe("key lifecycle", () => {
  it("a revoked key gets 401 invalid api key", async () => {
    const k = await h.addKey(p.tenantId, SCOPES, { revokedAt: new Date(Date.now() - 1000) });
    expectError(await call(h.app, "GET", "/jobs", { key: k.rawKey }), 401, "invalid api key");
  });

  it("an expired key gets 401 invalid api key", async () => {
    const k = await h.addKey(p.tenantId, SCOPES, { expiresAt: new Date(Date.now() - 1000) });
    expectError(await call(h.app, "GET", "/jobs", { key: k.rawKey }), 401, "invalid api key");
  });

  it("a key expiring in the future works", async () => {
    const k = await h.addKey(p.tenantId, SCOPES, { expiresAt: new Date(Date.now() + 3600_000) });
    expect((await call(h.app, "GET", "/jobs", { key: k.rawKey })).statusCode).toBe(200);
  });

  it("a key revoked over the API stops working at once", async () => {
    const k = await h.addKey(p.tenantId, ["jobs:read"]);
    expect((await call(h.app, "GET", "/jobs", { key: k.rawKey })).statusCode).toBe(200);
    expect((await call(h.app, "POST", `/api-keys/${k.keyId}/revoke`, { key: p.rawKey })).statusCode).toBe(200);
    expectError(await call(h.app, "GET", "/jobs", { key: k.rawKey }), 401, "invalid api key");
  });
});

describe("scope matrix: each operation needs exactly its one scope", () => {
  for (const op of OPS) {
    it(`${op.name} succeeds with only ${op.scope}`, async () => {
      const k = await h.addKey(p.tenantId, [op.scope]);
      const { path, body } = await op.make();
      const res = await call(h.app, op.method, path, { key: k.rawKey, body });
      expect(res.statusCode, res.body).toBe(op.status);
    });

    it(`${op.name} is 403 FORBIDDEN with every scope except ${op.scope}`, async () => {
      const k = await h.addKey(
        p.tenantId,
        SCOPES.filter((s) => s !== op.scope),
      );
      const { path, body } = await op.make();
      const before = {
        jobs: await h.db.job.count(),
        triggers: await h.db.manualTrigger.count(),
        revoked: await h.db.apiKey.count({ where: { revokedAt: { not: null } } }),
        keys: await h.db.apiKey.count(),
      };
      expectError(await call(h.app, op.method, path, { key: k.rawKey, body }), 403);
      expect({
        jobs: await h.db.job.count(),
        triggers: await h.db.manualTrigger.count(),
        revoked: await h.db.apiKey.count({ where: { revokedAt: { not: null } } }),
        keys: await h.db.apiKey.count(),
      }).toEqual(before);
    });

    for (const other of SCOPES.filter((s) => s !== op.scope)) {
      it(`${op.name} is 403 with only ${other}`, async () => {
        const k = await h.addKey(p.tenantId, [other]);
        const { path, body } = await op.make();
        expectError(await call(h.app, op.method, path, { key: k.rawKey, body }), 403);
      });
    }
  }

  it("GET /health needs no scope", async () => {
    const k = await h.addKey(p.tenantId, ["runs:read"]);
    expect((await call(h.app, "GET", "/health", { key: k.rawKey })).statusCode).toBe(200);
  });
});
