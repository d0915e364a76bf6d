/* eslint-disable @typescript-eslint/no-explicit-any -- black-box tests read untyped JSON bodies */
// TENANT_MAX_JOBS and TENANT_MAX_API_KEYS are hard limits: concurrent creates (parallel requests over real HTTP,
// one tRPC batch) never leave a tenant with more jobs or active keys than allowed.
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { setup, validJob, type Harness } from "./harness.ts";

const MAX_JOBS = 20;
const MAX_KEYS = 6;

let h: Harness;
let baseUrl: string;

beforeAll(async () => {
  h = await setup({ limits: { maxJobsPerTenant: MAX_JOBS, maxApiKeysPerTenant: MAX_KEYS } });
  baseUrl = await h.app.listen({ port: 0, host: "127.0.0.1" });
}, 60_000);
afterAll(async () => {
  await h?.close();
});

async function prefill(tenantId: string, count: number): Promise<void> {
  await h.db.job.createMany({
    data: Array.from({ length: count }, (_, i) => ({
      tenantId,
      name: `prefilled ${i}`,
      method: "POST",
      url: "https://example.com/hook",
      cronExpression: "0 0 * * *",
      enabled: false,
    })),
  });
}

describe("job quota under concurrency", () => {
  it("30 parallel POST /jobs with 9 slots left: 9 are created, the rest answer 429, the tenant ends at the limit", async () => {
    const t = await h.tenant();
    await prefill(t.tenantId, MAX_JOBS - 9);
    const responses = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        fetch(`${baseUrl}/api/v1/jobs`, {
          method: "POST",
          headers: { authorization: `Bearer ${t.rawKey}`, "content-type": "application/json" },
          body: JSON.stringify(validJob({ name: `parallel ${i}` })),
        }).then(async (r) => ({ status: r.status, body: (await r.json()) as any })),
      ),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(9);
    expect(statuses.filter((s) => s === 429)).toHaveLength(21);
    for (const r of responses.filter((x) => x.status === 429)) {
      expect(r.body.error).toEqual({
        error_code: "TOO_MANY_REQUESTS",
        error_message: `job quota reached: a tenant can have at most ${MAX_JOBS} jobs; delete jobs before creating more`,
      });
    }
    expect(await h.db.job.count({ where: { tenantId: t.tenantId } })).toBe(MAX_JOBS);
  });

  it("one tRPC batch of jobs.create calls cannot exceed the quota either", async () => {
    const t = await h.tenant();
    const calls = 30;
    const input = Object.fromEntries(Array.from({ length: calls }, (_, i) => [String(i), validJob({ name: `batched ${i}` })]));
    const res = await fetch(`${baseUrl}/trpc/${Array(calls).fill("jobs.create").join(",")}?batch=1`, {
      method: "POST",
      headers: { authorization: `Bearer ${t.rawKey}`, "content-type": "application/json" },
      body: JSON.stringify(input),
    });
    const results = (await res.json()) as any[];
    expect(results).toHaveLength(calls);
    const created = results.filter((r) => r.result?.data?.job);
    const refused = results.filter((r) => r.error?.data?.httpStatus === 429);
    expect(created).toHaveLength(MAX_JOBS);
    expect(refused).toHaveLength(calls - MAX_JOBS);
    expect(await h.db.job.count({ where: { tenantId: t.tenantId } })).toBe(MAX_JOBS);
  });

  it("deleting a job frees its slot", async () => {
    const t = await h.tenant();
    await prefill(t.tenantId, MAX_JOBS);
    const create = () =>
      fetch(`${baseUrl}/api/v1/jobs`, {
        method: "POST",
        headers: { authorization: `Bearer ${t.rawKey}`, "content-type": "application/json" },
        body: JSON.stringify(validJob()),
      });
    expect((await create()).status).toBe(429);
    const one = await h.db.job.findFirstOrThrow({ where: { tenantId: t.tenantId } });
    await h.db.job.delete({ where: { id: one.id } });
    expect((await create()).status).toBe(201);
    expect((await create()).status).toBe(429);
  });
});

describe("API key quota under concurrency", () => {
  const createKey = (rawKey: string, name: string) =>
    fetch(`${baseUrl}/api/v1/api-keys`, {
      method: "POST",
      headers: { authorization: `Bearer ${rawKey}`, "content-type": "application/json" },
      body: JSON.stringify({ name, scopes: ["jobs:read"] }),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

  it("20 parallel POST /api-keys with 3 active slots left: 3 are created, the rest answer 429, revoked keys do not count", async () => {
    const t = await h.tenant();
    // Active: the tenant's own key and 2 more; a revoked key does not count.
    await h.addKey(t.tenantId);
    await h.addKey(t.tenantId);
    await h.addKey(t.tenantId, undefined, { revokedAt: new Date() });
    const responses = await Promise.all(Array.from({ length: 20 }, (_, i) => createKey(t.rawKey, `parallel ${i}`)));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(MAX_KEYS - 3);
    expect(statuses.filter((s) => s === 429)).toHaveLength(20 - (MAX_KEYS - 3));
    for (const r of responses.filter((x) => x.status === 429)) {
      expect(r.body).toEqual({
        status: 429,
        error: {
          error_code: "TOO_MANY_REQUESTS",
          error_message: `API key quota reached: a tenant can have at most ${MAX_KEYS} active API keys; revoke keys before creating more`,
        },
      });
    }
    expect(await h.db.apiKey.count({ where: { tenantId: t.tenantId, revokedAt: null } })).toBe(MAX_KEYS);

    // Revoking one frees its slot.
    const created = responses.find((r) => r.status === 201)?.body.api_key;
    const revoke = await fetch(`${baseUrl}/api/v1/api-keys/${created.id}/revoke`, { method: "POST", headers: { authorization: `Bearer ${t.rawKey}` } });
    expect(revoke.status).toBe(200);
    expect((await createKey(t.rawKey, "after revoke")).status).toBe(201);
    expect((await createKey(t.rawKey, "one too many")).status).toBe(429);
  });
});
