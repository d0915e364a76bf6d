/* eslint-disable @typescript-eslint/no-explicit-any -- black-box tests read untyped JSON bodies */
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import {
  call,
  createJob,
  expectError,
  insertRun,
  json,
  setup,
  type Harness,
  type Method,
  type Principal,
} from "./harness.ts";

let h: Harness;
let a: Principal;
let b: Principal;
let jobA: any;
let runA: any;
let keyA2: { rawKey: string; keyId: string };

beforeAll(async () => {
  h = await setup();
  a = await h.tenant();
  b = await h.tenant();
  jobA = await createJob(h.app, a.rawKey, { name: "tenant-a-job", body: { secret: "a" } });
  runA = await insertRun(h.db, jobA);
  keyA2 = await h.addKey(a.tenantId, ["jobs:read"]);
  await createJob(h.app, b.rawKey, { name: "tenant-b-job" });
}, 60_000);
afterAll(async () => {
  await h?.close();
});

describe("lists are per tenant", () => {
  it("GET /jobs shows only the caller's jobs", async () => {
    const listA = json(await call(h.app, "GET", "/jobs", { key: a.rawKey })).jobs;
    const listB = json(await call(h.app, "GET", "/jobs", { key: b.rawKey })).jobs;
    expect(listA.map((j: any) => j.name)).toEqual(["tenant-a-job"]);
    expect(listB.map((j: any) => j.name)).toEqual(["tenant-b-job"]);
    expect(listB.every((j: any) => j.tenant_id === b.tenantId)).toBe(true);
  });

  it("GET /jobs filters and search do not cross tenants", async () => {
    for (const query of [{ enabled: "true" }, { q: "tenant-a" }, { limit: "500" }] as Record<string, string>[]) {
      const list = json(await call(h.app, "GET", "/jobs", { key: b.rawKey, query })).jobs;
      expect(list.map((j: any) => j.id)).not.toContain(jobA.id);
    }
  });

  it("GET /api-keys shows only the caller's keys", async () => {
    const listB = json(await call(h.app, "GET", "/api-keys", { key: b.rawKey })).api_keys;
    expect(listB.map((k: any) => k.id)).toEqual([b.keyId]);
    const listA = json(await call(h.app, "GET", "/api-keys", { key: a.rawKey })).api_keys;
    expect(listA.map((k: any) => k.id).sort()).toEqual([a.keyId, keyA2.keyId].sort());
  });

  it("another tenant's cursor does not leak rows", async () => {
    // A page cursor from tenant A, replayed by tenant B, must never return A's rows.
    for (let i = 0; i < 3; i++) await createJob(h.app, a.rawKey, { name: `a-extra-${i}` });
    const page = json(await call(h.app, "GET", "/jobs", { key: a.rawKey, query: { limit: "1" } }));
    expect(typeof page.next_cursor).toBe("string");
    const res = await call(h.app, "GET", "/jobs", { key: b.rawKey, query: { cursor: page.next_cursor } });
    if (res.statusCode === 200) {
      for (const j of json(res).jobs) expect(j.tenant_id).toBe(b.tenantId);
    } else {
      expectError(res, 400, undefined, { validation: json(res).validation !== undefined });
    }
  });
});

describe("another tenant's ids answer 404, never 403, and change nothing", () => {
  const cases: [string, Method, () => string, unknown?][] = [
    ["jobs.get", "GET", () => `/jobs/${jobA.id}`],
    ["jobs.update", "PATCH", () => `/jobs/${jobA.id}`, { name: "hijacked" }],
    ["jobs.delete", "DELETE", () => `/jobs/${jobA.id}`],
    ["jobs.pause", "POST", () => `/jobs/${jobA.id}/pause`],
    ["jobs.resume", "POST", () => `/jobs/${jobA.id}/resume`],
    ["jobs.trigger", "POST", () => `/jobs/${jobA.id}/trigger`],
    ["jobs.rotateSigningSecret", "POST", () => `/jobs/${jobA.id}/rotate-signing-secret`],
    ["runs.list", "GET", () => `/jobs/${jobA.id}/runs`],
    ["runs.get", "GET", () => `/runs/${runA.id}`],
    ["apiKeys.revoke", "POST", () => `/api-keys/${keyA2.keyId}/revoke`],
  ];
  for (const [name, method, path, body] of cases) {
    it(name, async () => {
      const res = await call(h.app, method, path(), { key: b.rawKey, body });
      const env = expectError(res, 404);
      expect(res.body).not.toContain("tenant-a-job");
      expect(env.error.error_message).not.toMatch(/tenant|forbidden/i);
    });
  }

  it("A's job, run, trigger queue and key are intact afterwards", async () => {
    const job = json(await call(h.app, "GET", `/jobs/${jobA.id}`, { key: a.rawKey })).job;
    expect(job).toMatchObject({ name: "tenant-a-job", enabled: true, body: { secret: "a" } });
    expect(job.next_run_at).not.toBeNull();
    expect(job.signing_secret_previous_expires_at).toBeNull();
    expect(await h.db.manualTrigger.count({ where: { jobId: jobA.id } })).toBe(0);
    expect(json(await call(h.app, "GET", `/runs/${runA.id}`, { key: a.rawKey })).run.id).toBe(runA.id);
    expect((await h.db.apiKey.findUniqueOrThrow({ where: { id: keyA2.keyId } })).revokedAt).toBeNull();
    expect((await call(h.app, "GET", "/jobs", { key: keyA2.rawKey })).statusCode).toBe(200);
  });

  it("the 404 for a foreign id is identical to the one for a missing id", async () => {
    const foreign = await call(h.app, "GET", `/jobs/${jobA.id}`, { key: b.rawKey });
    const missing = await call(h.app, "GET", "/jobs/00000000-0000-4000-8000-000000000000", { key: b.rawKey });
    expect(json(foreign)).toEqual(json(missing));
    const foreignRun = await call(h.app, "GET", `/runs/${runA.id}`, { key: b.rawKey });
    const missingRun = await call(h.app, "GET", "/runs/00000000-0000-4000-8000-000000000000", { key: b.rawKey });
    expect(json(foreignRun)).toEqual(json(missingRun));
    const foreignKey = await call(h.app, "POST", `/api-keys/${keyA2.keyId}/revoke`, { key: b.rawKey });
    const missingKey = await call(h.app, "POST", "/api-keys/00000000-0000-4000-8000-000000000000/revoke", { key: b.rawKey });
    expect(json(foreignKey)).toEqual(json(missingKey));
  });
});

describe("writes land in the caller's tenant", () => {
  it("jobs and keys created by B belong to B", async () => {
    const job = await createJob(h.app, b.rawKey, { name: "b2" });
    expect(job.tenant_id).toBe(b.tenantId);
    expect((await h.db.job.findUniqueOrThrow({ where: { id: job.id } })).tenantId).toBe(b.tenantId);
    const res = json(await call(h.app, "POST", "/api-keys", { key: b.rawKey, body: { name: "b-key", scopes: ["jobs:read"] } }));
    expect(res.api_key.tenant_id).toBe(b.tenantId);
    // A does not see it.
    const listA = json(await call(h.app, "GET", "/api-keys", { key: a.rawKey })).api_keys;
    expect(listA.map((k: any) => k.id)).not.toContain(res.api_key.id);
    expectError(await call(h.app, "GET", `/jobs/${job.id}`, { key: a.rawKey }), 404);
  });
});
