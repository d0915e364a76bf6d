// Tenant quotas and the API side of the outbound-call policy: literal private/loopback URLs, the minimum interval
// between fires, the maximum number of jobs per tenant and of active API keys per tenant.
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createTestDatabase, type TestDatabase } from "@btick/db/testing";

import { createCaller, createContext, DEFAULT_JOB_LIMITS, type JobLimits } from "../src/index.ts";
import { smallestFireGapSeconds } from "../src/services/limits.ts";
import { addApiKey, createTenantWithKey, type TestPrincipal } from "../src/testing.ts";
import { rejection, validJob } from "./helpers.ts";

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

async function callerWith(limits: Partial<JobLimits>, principal?: TestPrincipal) {
  const p = principal ?? (await createTenantWithKey(db.prisma));
  return createCaller(await createContext({ db: db.prisma, authorization: `Bearer ${p.rawKey}`, limits: { ...DEFAULT_JOB_LIMITS, ...limits } }));
}

describe("job URL policy", () => {
  it.each([
    ["http://127.0.0.1:8080/x", "loopback"],
    ["http://localhost/x", "loopback"],
    ["http://[::1]/x", "loopback"],
    ["http://10.0.0.5/x", "private"],
    ["http://192.168.1.1/x", "private"],
    ["http://169.254.169.254/latest/meta-data/", "link-local"],
    ["http://[::ffff:10.0.0.1]/x", "private"],
    ["http://100.64.0.1/x", "carrier-grade NAT"],
  ])("rejects %s by default (%s)", async (url, range) => {
    const api = await callerWith({});
    const { envelope } = await rejection(api.jobs.create({ ...validJob, url }));
    expect(envelope).toEqual({
      status: 400,
      error: { error_code: "INVALID_REQUEST", error_message: "Validation failed" },
      validation: [{ field: "url", message: `must not target a ${range} address; calls to private networks are disabled on this server` }],
    });
  });

  it("accepts public hosts and names (the worker checks what names resolve to)", async () => {
    const api = await callerWith({});
    for (const url of ["https://example.com/x", "http://8.8.8.8/x", "http://internal.example/x"]) {
      expect((await api.jobs.create({ ...validJob, url })).job.url).toBe(url);
    }
  });

  it("checks patched URLs too", async () => {
    const api = await callerWith({});
    const { job } = await api.jobs.create(validJob);
    const { envelope } = await rejection(api.jobs.update({ jobId: job.id, url: "http://127.0.0.1/x" }));
    expect(envelope.validation).toEqual([{ field: "url", message: expect.stringMatching(/^must not target a loopback address/) }]);
  });

  it("accepts private targets when allowed, or when the host is on the allow-list", async () => {
    const open = await callerWith({ allowPrivateNetworks: true });
    expect((await open.jobs.create({ ...validJob, url: "http://127.0.0.1:9/x" })).job.url).toBe("http://127.0.0.1:9/x");
    const listed = await callerWith({ allowedHosts: ["10.1.0.0/16", "localhost"] });
    expect((await listed.jobs.create({ ...validJob, url: "http://10.1.2.3/x" })).job.url).toBe("http://10.1.2.3/x");
    expect((await listed.jobs.create({ ...validJob, url: "http://localhost:8080/x" })).job.url).toBe("http://localhost:8080/x");
    await rejection(listed.jobs.create({ ...validJob, url: "http://10.2.0.1/x" }));
  });
});

describe("minimum interval between fires", () => {
  it("measures the smallest gap between consecutive fires", () => {
    expect(smallestFireGapSeconds("*/5 * * * *", "UTC")).toBe(300);
    expect(smallestFireGapSeconds("*/10 * * * * *", "UTC")).toBe(10);
    expect(smallestFireGapSeconds("0,1 * * * *", "UTC")).toBe(60);
  });

  it("rejects schedules firing more often than the tenant minimum, on create and on update", async () => {
    const api = await callerWith({ minIntervalSeconds: 60 });
    const { envelope } = await rejection(api.jobs.create({ ...validJob, cron_expression: "*/30 * * * * *" }));
    expect(envelope.validation).toEqual([
      { field: "cron_expression", message: "fires every 30 seconds; the minimum interval between fires is 60 seconds" },
    ]);
    const { job } = await api.jobs.create({ ...validJob, cron_expression: "* * * * *" });
    const patched = await rejection(api.jobs.update({ jobId: job.id, cron_expression: "*/10 * * * * *" }));
    expect(patched.envelope.validation?.[0]?.field).toBe("cron_expression");
  });

  it("allows every second with the default minimum of 1 second", async () => {
    const api = await callerWith({});
    expect((await api.jobs.create({ ...validJob, cron_expression: "* * * * * *" })).job.cron_expression).toBe("* * * * * *");
  });
});

describe("jobs per tenant", () => {
  it("answers 429 TOO_MANY_REQUESTS once the tenant has its maximum number of jobs", async () => {
    const principal = await createTenantWithKey(db.prisma);
    const api = await callerWith({ maxJobsPerTenant: 2 }, principal);
    await api.jobs.create(validJob);
    const { job } = await api.jobs.create(validJob);
    const { envelope } = await rejection(api.jobs.create(validJob));
    expect(envelope).toEqual({
      status: 429,
      error: {
        error_code: "TOO_MANY_REQUESTS",
        error_message: "job quota reached: a tenant can have at most 2 jobs; delete jobs before creating more",
      },
    });
    // Other tenants are not affected; deleting frees a slot.
    const other = await callerWith({ maxJobsPerTenant: 2 });
    await other.jobs.create(validJob);
    await api.jobs.delete({ jobId: job.id });
    await api.jobs.create(validJob);
  });
});

describe("active API keys per tenant", () => {
  const keyInput = { name: "k", scopes: ["jobs:read" as const], expires_at: null };

  it("answers 429 TOO_MANY_REQUESTS once the tenant has its maximum number of active keys", async () => {
    const principal = await createTenantWithKey(db.prisma);
    // The tenant's first key counts: two more reach the limit of 3.
    const api = await callerWith({ maxApiKeysPerTenant: 3 }, principal);
    await api.apiKeys.create(keyInput);
    const { api_key } = await api.apiKeys.create(keyInput);
    const { envelope } = await rejection(api.apiKeys.create(keyInput));
    expect(envelope).toEqual({
      status: 429,
      error: {
        error_code: "TOO_MANY_REQUESTS",
        error_message: "API key quota reached: a tenant can have at most 3 active API keys; revoke keys before creating more",
      },
    });
    expect(await db.prisma.apiKey.count({ where: { tenantId: principal.tenantId } })).toBe(3);
    // Other tenants are not affected; revoking frees a slot.
    await (await callerWith({ maxApiKeysPerTenant: 3 })).apiKeys.create(keyInput);
    await api.apiKeys.revoke({ keyId: api_key.id });
    await api.apiKeys.create(keyInput);
    await rejection(api.apiKeys.create(keyInput));
  });

  it("does not count revoked or expired keys (expiry on the database clock)", async () => {
    const principal = await createTenantWithKey(db.prisma);
    await addApiKey(db.prisma, principal.tenantId, undefined, { revokedAt: new Date() });
    const expired = await addApiKey(db.prisma, principal.tenantId);
    await db.prisma.$executeRaw`update api_keys set expires_at = now() - interval '1 second' where id = ${expired.keyId}::uuid`;
    const api = await callerWith({ maxApiKeysPerTenant: 2 }, principal);
    await api.apiKeys.create(keyInput);
    await rejection(api.apiKeys.create(keyInput));
  });

  it("is a hard limit: parallel creates of one tenant stop exactly at it", async () => {
    const principal = await createTenantWithKey(db.prisma);
    const api = await callerWith({ maxApiKeysPerTenant: 5 }, principal);
    const results = await Promise.allSettled(Array.from({ length: 12 }, () => api.apiKeys.create(keyInput)));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(4);
    expect(await db.prisma.apiKey.count({ where: { tenantId: principal.tenantId } })).toBe(5);
  });
});
