// Job procedures against a real database: merge patch, next_run_at bookkeeping, pause/resume/trigger,
// delete, tenant isolation, scopes and pagination.
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createTestDatabase, type TestDatabase } from "@btick/db/testing";
import { nextRunAfter } from "@btick/scheduling";

import { createTenantWithKey, type TestPrincipal } from "../src/testing.ts";
import { callerFor, rejection, validJob } from "./helpers.ts";

let db: TestDatabase;
let owner: TestPrincipal;
let other: TestPrincipal;
let api: Awaited<ReturnType<typeof callerFor>>;

beforeAll(async () => {
  db = await createTestDatabase();
  owner = await createTenantWithKey(db.prisma);
  other = await createTenantWithKey(db.prisma);
  api = await callerFor(db.prisma, owner.rawKey);
});
afterAll(async () => {
  await db.drop();
});

describe("jobs.create / get", () => {
  it("stores the job, computes next_run_at and next_runs, and records the creator", async () => {
    const before = new Date();
    const { job } = await api.jobs.create({ ...validJob, headers: { "X-A": "1" }, body: { hello: "world" } });
    expect(job).toMatchObject({ name: "ping", method: "POST", headers: { "X-A": "1" }, body: { hello: "world" }, enabled: true });
    expect(job.tenant_id).toBe(owner.tenantId);
    expect(job.created_by).toBe(`api_key:${owner.keyId}`);
    const next = new Date(job.next_run_at ?? "");
    expect(next.getTime()).toBeGreaterThan(before.getTime());
    expect(next.getTime()).toBe(nextRunAfter("*/5 * * * *", "UTC", before).getTime());
    expect(job.next_runs).toHaveLength(5);
    expect(job.next_runs[0]).toBe(job.next_run_at);
    expect((await api.jobs.get({ jobId: job.id })).job).toEqual({ ...job, next_runs: expect.any(Array) });
  });

  it("creates a disabled job without next_run_at but still shows next_runs", async () => {
    const { job } = await api.jobs.create({ ...validJob, enabled: false });
    expect(job.next_run_at).toBeNull();
    expect(job.next_runs).toHaveLength(5);
  });

  it("stores a null body as SQL NULL", async () => {
    const { job } = await api.jobs.create(validJob);
    const row = await db.prisma.$queryRaw<{ isnull: boolean }[]>`select body is null as isnull from jobs where id = ${job.id}::uuid`;
    expect(row[0]?.isnull).toBe(true);
  });
});

describe("scheduling policies", () => {
  it("defaults to forbid / fire_once / 10 / no per-job cap, stores explicit values, and patches them", async () => {
    const { job } = await api.jobs.create(validJob);
    expect(job).toMatchObject({ concurrency_policy: "forbid", misfire_policy: "fire_once", misfire_catch_up_max: 10, max_runs: null });
    const { job: custom } = await api.jobs.create({
      ...validJob,
      concurrency_policy: "replace",
      misfire_policy: "catch_up",
      misfire_catch_up_max: 3,
      max_runs: 500,
    });
    expect(custom).toMatchObject({ concurrency_policy: "replace", misfire_policy: "catch_up", misfire_catch_up_max: 3, max_runs: 500 });
    const row = await db.prisma.job.findUniqueOrThrow({ where: { id: custom.id } });
    expect(row).toMatchObject({ concurrencyPolicy: "replace", misfirePolicy: "catch_up", misfireCatchUpMax: 3, maxRuns: 500 });

    const before = custom.next_run_at;
    const { job: patched } = await api.jobs.update({ jobId: custom.id, concurrency_policy: "allow", misfire_policy: "skip" });
    expect(patched).toMatchObject({ concurrency_policy: "allow", misfire_policy: "skip", misfire_catch_up_max: 3, max_runs: 500 });
    // A policy change is not a schedule change.
    expect(patched.next_run_at).toBe(before);
    const { job: cleared } = await api.jobs.update({ jobId: custom.id, max_runs: null, misfire_catch_up_max: 100 });
    expect(cleared).toMatchObject({ max_runs: null, misfire_catch_up_max: 100 });
  });

  it("rejects out-of-range values from the database side too (check constraints)", async () => {
    const { job } = await api.jobs.create(validJob);
    await expect(db.prisma.job.update({ where: { id: job.id }, data: { concurrencyPolicy: "queue" } })).rejects.toThrow();
    await expect(db.prisma.job.update({ where: { id: job.id }, data: { misfireCatchUpMax: 0 } })).rejects.toThrow();
    await expect(db.prisma.job.update({ where: { id: job.id }, data: { maxRuns: 0 } })).rejects.toThrow();
  });
});

describe("jobs.update (merge patch)", () => {
  it("changes only given fields; a rename keeps next_run_at", async () => {
    const { job } = await api.jobs.create({ ...validJob, body: { a: 1 }, headers: { "X-A": "1" } });
    // Pretend the worker advanced the schedule: a rename must not move it.
    const advanced = new Date(Date.now() + 3_600_000);
    await db.prisma.job.update({ where: { id: job.id }, data: { nextRunAt: advanced } });
    const { job: renamed } = await api.jobs.update({ jobId: job.id, name: "renamed" });
    expect(renamed.name).toBe("renamed");
    expect(renamed.body).toEqual({ a: 1 });
    expect(renamed.headers).toEqual({ "X-A": "1" });
    expect(renamed.next_run_at).toBe(advanced.toISOString());
  });

  it("null clears body; headers are replaced as a whole", async () => {
    const { job } = await api.jobs.create({ ...validJob, body: { a: 1 }, headers: { "X-A": "1", "X-B": "2" } });
    const { job: patched } = await api.jobs.update({ jobId: job.id, body: null, headers: { "X-C": "3" } });
    expect(patched.body).toBeNull();
    expect(patched.headers).toEqual({ "X-C": "3" });
  });

  it("recomputes next_run_at when cron, timezone or enabled change", async () => {
    const { job } = await api.jobs.create(validJob);
    const stale = new Date(Date.now() + 86_400_000);
    await db.prisma.job.update({ where: { id: job.id }, data: { nextRunAt: stale } });

    const { job: hourly } = await api.jobs.update({ jobId: job.id, cron_expression: "0 * * * *" });
    expect(hourly.next_run_at).toBe(nextRunAfter("0 * * * *", "UTC", new Date()).toISOString());

    await db.prisma.job.update({ where: { id: job.id }, data: { nextRunAt: stale } });
    const { job: zoned } = await api.jobs.update({ jobId: job.id, timezone: "Asia/Kolkata" });
    expect(zoned.next_run_at).toBe(nextRunAfter("0 * * * *", "Asia/Kolkata", new Date()).toISOString());

    const { job: off } = await api.jobs.update({ jobId: job.id, enabled: false });
    expect(off.next_run_at).toBeNull();
    const { job: on } = await api.jobs.update({ jobId: job.id, enabled: true });
    expect(on.next_run_at).not.toBeNull();
  });

  it("an unchanged cron value is not a change", async () => {
    const { job } = await api.jobs.create(validJob);
    const stale = new Date(Date.now() + 86_400_000);
    await db.prisma.job.update({ where: { id: job.id }, data: { nextRunAt: stale } });
    const { job: same } = await api.jobs.update({ jobId: job.id, cron_expression: validJob.cron_expression, enabled: true });
    expect(same.next_run_at).toBe(stale.toISOString());
  });

  it("re-validates the merged job (GET with an existing body)", async () => {
    const { job } = await api.jobs.create({ ...validJob, body: { a: 1 } });
    const { error, envelope } = await rejection(api.jobs.update({ jobId: job.id, method: "GET" }));
    expect(error.code).toBe("BAD_REQUEST");
    expect(envelope).toEqual({
      status: 400,
      error: { error_code: "INVALID_REQUEST", error_message: "Validation failed" },
      validation: [{ field: "body", message: "body is not allowed for GET requests" }],
    });
    // Clearing the body in the same patch makes it valid.
    const { job: ok } = await api.jobs.update({ jobId: job.id, method: "GET", body: null });
    expect(ok.method).toBe("GET");
  });
});

describe("pause / resume / trigger / delete", () => {
  it("pause disables and clears next_run_at; resume recomputes it from now", async () => {
    const { job } = await api.jobs.create(validJob);
    const { job: paused } = await api.jobs.pause({ jobId: job.id });
    expect(paused).toMatchObject({ enabled: false, next_run_at: null });
    expect(paused.next_runs).toHaveLength(5);
    expect((await api.jobs.pause({ jobId: job.id })).job.enabled).toBe(false);
    const { job: resumed } = await api.jobs.resume({ jobId: job.id });
    expect(resumed.enabled).toBe(true);
    expect(resumed.next_run_at).toBe(nextRunAfter(validJob.cron_expression, "UTC", new Date()).toISOString());
  });

  it("trigger queues a manual trigger, also for a paused job", async () => {
    const { job } = await api.jobs.create({ ...validJob, enabled: false });
    const res = await api.jobs.trigger({ jobId: job.id });
    expect(res.message).toBe("manual trigger accepted");
    const trigger = await db.prisma.manualTrigger.findUniqueOrThrow({ where: { id: res.trigger_id } });
    expect(trigger).toMatchObject({ jobId: job.id, triggeredBy: `api_key:${owner.keyId}`, completedAt: null });
  });

  it("delete removes the job; a second delete is 404", async () => {
    const { job } = await api.jobs.create(validJob);
    expect(await api.jobs.delete({ jobId: job.id })).toEqual({ message: "job deleted" });
    expect(await db.prisma.job.count({ where: { id: job.id } })).toBe(0);
    expect((await rejection(api.jobs.delete({ jobId: job.id }))).envelope.status).toBe(404);
  });
});

describe("tenant isolation and scopes", () => {
  it("answers 404 for another tenant's job on every operation", async () => {
    const { job } = await api.jobs.create(validJob);
    const intruder = await callerFor(db.prisma, other.rawKey);
    const calls = [
      () => intruder.jobs.get({ jobId: job.id }),
      () => intruder.jobs.update({ jobId: job.id, name: "x" }),
      () => intruder.jobs.delete({ jobId: job.id }),
      () => intruder.jobs.pause({ jobId: job.id }),
      () => intruder.jobs.resume({ jobId: job.id }),
      () => intruder.jobs.trigger({ jobId: job.id }),
      () => intruder.runs.list({ jobId: job.id }),
    ];
    for (const call of calls) {
      const { error, envelope } = await rejection(call());
      expect(error.code).toBe("NOT_FOUND");
      expect(envelope.error).toEqual({ error_code: "NOT_FOUND", error_message: "job not found" });
    }
    expect((await intruder.jobs.list({})).jobs.map((j) => j.id)).not.toContain(job.id);
    expect((await api.jobs.get({ jobId: job.id })).job.name).toBe(validJob.name);
  });

  it("requires exactly the documented scope", async () => {
    const readOnly = await createTenantWithKey(db.prisma, ["jobs:read"]);
    const caller = await callerFor(db.prisma, readOnly.rawKey);
    const { error, envelope } = await rejection(caller.jobs.create(validJob));
    expect(error.code).toBe("FORBIDDEN");
    expect(envelope.error.error_code).toBe("FORBIDDEN");
    expect((await caller.jobs.list({})).jobs).toEqual([]);

    const writeOnly = await createTenantWithKey(db.prisma, ["jobs:write"]);
    const writer = await callerFor(db.prisma, writeOnly.rawKey);
    const { job } = await writer.jobs.create(validJob);
    expect((await writer.jobs.pause({ jobId: job.id })).job.enabled).toBe(false);
    expect((await rejection(writer.jobs.get({ jobId: job.id }))).error.code).toBe("FORBIDDEN");
    expect((await rejection(writer.jobs.delete({ jobId: job.id }))).error.code).toBe("FORBIDDEN");
    expect((await rejection(writer.jobs.trigger({ jobId: job.id }))).error.code).toBe("FORBIDDEN");
  });
});

describe("jobs.list pagination and filters", () => {
  it("pages newest first with a cursor, filters in SQL, and ends with next_cursor null", async () => {
    const tenant = await createTenantWithKey(db.prisma);
    const caller = await callerFor(db.prisma, tenant.rawKey);
    const created: string[] = [];
    for (let i = 0; i < 7; i++) {
      created.push((await caller.jobs.create({ ...validJob, name: `job-${i}`, enabled: i % 2 === 0 })).job.id);
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await caller.jobs.list({ limit: 3, cursor });
      expect(page.jobs.length).toBeLessThanOrEqual(3);
      seen.push(...page.jobs.map((j) => j.id));
      cursor = page.next_cursor ?? undefined;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...created].reverse());

    const paused = await caller.jobs.list({ enabled: false });
    expect(paused.jobs.map((j) => j.name)).toEqual(["job-5", "job-3", "job-1"]);
    const enabledPage = await caller.jobs.list({ enabled: "true", limit: 2 });
    expect(enabledPage.jobs.map((j) => j.name)).toEqual(["job-6", "job-4"]);
    expect(enabledPage.next_cursor).not.toBeNull();
    expect((await caller.jobs.list({ q: "JOB-3" })).jobs.map((j) => j.name)).toEqual(["job-3"]);
    expect((await caller.jobs.list({ q: "%" })).jobs).toEqual([]);
  });

  it("keeps rows created in the same millisecond apart (microsecond cursor)", async () => {
    const tenant = await createTenantWithKey(db.prisma);
    const caller = await callerFor(db.prisma, tenant.rawKey);
    const { job } = await caller.jobs.create(validJob);
    // Clone the job three times with created_at 100µs apart, all within one millisecond.
    await db.prisma.$executeRaw`
      insert into jobs (tenant_id, name, method, url, cron_expression, created_at)
      select tenant_id, 'clone-' || g, method, url, cron_expression, date_trunc('milliseconds', now()) + g * interval '100 microseconds'
      from jobs, generate_series(1, 3) g where id = ${job.id}::uuid`;
    const names: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await caller.jobs.list({ limit: 1, cursor });
      names.push(...page.jobs.map((j) => j.name));
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    expect(names.sort()).toEqual(["clone-1", "clone-2", "clone-3", "ping"]);
  });

  it("rejects an invalid limit and cursor instead of coercing", async () => {
    for (const limit of ["abc", "0", "501", 0, 501]) {
      const { envelope } = await rejection(api.jobs.list({ limit }));
      expect(envelope.validation).toEqual([{ field: "limit", message: "must be an integer between 1 and 500" }]);
    }
    const { envelope } = await rejection(api.jobs.list({ cursor: "bm90LWEtY3Vyc29y" }));
    expect(envelope.validation).toEqual([{ field: "cursor", message: "is not a valid cursor" }]);
  });
});
