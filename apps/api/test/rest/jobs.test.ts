/* eslint-disable @typescript-eslint/no-explicit-any -- black-box tests read untyped JSON bodies */
import { nextRunAfter, nextRuns } from "@btick/scheduling";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import {
  call,
  createJob,
  expectError,
  expectIso,
  expectJobShape,
  expectValidation,
  insertRun,
  issueFor,
  json,
  listen,
  MISSING_ID,
  setup,
  UUID_RE,
  validJob,
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

const SENTINEL = new Date("2031-03-04T05:06:07.089Z");

async function setNextRunAt(id: string, at: Date | null): Promise<void> {
  await h.db.job.update({ where: { id }, data: { nextRunAt: at } });
}

async function patch(id: string, body: unknown) {
  return await call(h.app, "PATCH", `/jobs/${id}`, { key: p.rawKey, body });
}

describe("POST /jobs", () => {
  it("creates a job: 201 {job} with every field, defaults applied", async () => {
    const before = Date.now();
    const res = await call(h.app, "POST", "/jobs", {
      key: p.rawKey,
      body: { name: "nightly", method: "POST", url: "https://example.com/hook", cron_expression: "30 4 * * *" },
    });
    const after = Date.now();
    expect(res.statusCode).toBe(201);
    expect(res.headers["content-type"]).toMatch(/application\/json/);
    const body = json(res);
    expect(Object.keys(body)).toEqual(["job", "signing_secret"]);
    expect(body.signing_secret).toMatch(/^whsec_/);
    const job = body.job;
    expectJobShape(job);
    expect(job).toMatchObject({
      name: "nightly",
      method: "POST",
      url: "https://example.com/hook",
      headers: {},
      body: null,
      cron_expression: "30 4 * * *",
      timezone: "UTC",
      retry_max: 0,
      timeout_seconds: 60,
      enabled: true,
      last_run_at: null,
      tenant_id: p.tenantId,
    });
    expect(job.created_by).toEqual(expect.stringContaining(p.keyId));
    expect(Date.parse(job.created_at)).toBeGreaterThanOrEqual(before - 2000);
    expect(Date.parse(job.created_at)).toBeLessThanOrEqual(after + 2000);
    // next_run_at: the next 04:30 UTC after now; next_runs: the 5 next slots, the first one being next_run_at.
    expect(job.next_run_at).toBe(nextRunAfter("30 4 * * *", "UTC", new Date(before)).toISOString());
    expect(job.next_runs).toEqual(nextRuns("30 4 * * *", "UTC", new Date(before), 5).map((d) => d.toISOString()));
    expect(job.next_runs[0]).toBe(job.next_run_at);

    const row = await h.db.job.findUniqueOrThrow({ where: { id: job.id } });
    expect(row.tenantId).toBe(p.tenantId);
    expect(row.nextRunAt?.toISOString()).toBe(job.next_run_at);
  });

  it("stores every given field and echoes it back", async () => {
    const job = await createJob(h.app, p.rawKey, {
      name: "full",
      method: "PUT",
      url: "http://example.org:8080/a/b?c=d",
      headers: { "X-Token": "abc", Accept: "application/json" },
      body: { nested: { list: [1, "two", null, true] } },
      cron_expression: "0 9 * * 1-5",
      timezone: "America/New_York",
      retry_max: 3,
      timeout_seconds: 120,
      enabled: true,
    });
    expect(job).toMatchObject({
      name: "full",
      method: "PUT",
      url: "http://example.org:8080/a/b?c=d",
      // Secret-looking header values are masked in every response (see secrets.test.ts).
      headers: { "X-Token": "***", Accept: "application/json" },
      body: { nested: { list: [1, "two", null, true] } },
      cron_expression: "0 9 * * 1-5",
      timezone: "America/New_York",
      retry_max: 3,
      timeout_seconds: 120,
      enabled: true,
    });
    const now = new Date();
    // Fire times are computed in the job's timezone: 09:00 New York is 13:00 or 14:00 UTC.
    for (const t of job.next_runs) {
      const d = new Date(t);
      expect([13, 14]).toContain(d.getUTCHours());
      expect(d.getUTCMinutes()).toBe(0);
      expect([1, 2, 3, 4, 5]).toContain(new Date(d.getTime() - 5 * 3600_000).getUTCDay());
    }
    expect(job.next_run_at).toBe(nextRunAfter("0 9 * * 1-5", "America/New_York", new Date(now.getTime() - 5000)).toISOString());
  });

  it("creates a paused job when enabled is false: next_run_at null, next_runs still listed", async () => {
    const job = await createJob(h.app, p.rawKey, { enabled: false, cron_expression: "0 0 1 * *" });
    expectJobShape(job);
    expect(job.enabled).toBe(false);
    expect(job.next_run_at).toBeNull();
    expect(job.next_runs).toEqual(nextRuns("0 0 1 * *", "UTC", new Date(), 5).map((d) => d.toISOString()));
  });

  it("accepts a body of every JSON kind on POST", async () => {
    for (const body of [[1, 2, 3], "text", 42, true, { a: null }]) {
      const job = await createJob(h.app, p.rawKey, { body });
      expect(job.body).toEqual(body);
      const got = json(await call(h.app, "GET", `/jobs/${job.id}`, { key: p.rawKey })).job;
      expect(got.body).toEqual(body);
    }
  });

  it("upper-cases the method and trims name, url, cron and timezone", async () => {
    const job = await createJob(h.app, p.rawKey, {
      name: "  padded  ",
      method: "patch",
      url: "  https://example.com/x  ",
      cron_expression: "  @hourly  ",
      timezone: "  Europe/Berlin  ",
    });
    expect(job).toMatchObject({
      name: "padded",
      method: "PATCH",
      url: "https://example.com/x",
      cron_expression: "@hourly",
      timezone: "Europe/Berlin",
    });
  });
});

describe("GET /jobs/{jobId}", () => {
  it("returns 200 {job} equal to the created one (apart from next_runs drift)", async () => {
    const created = await createJob(h.app, p.rawKey, { name: "get-me", cron_expression: "0 0 1 1 *" });
    const res = await call(h.app, "GET", `/jobs/${created.id}`, { key: p.rawKey });
    expect(res.statusCode).toBe(200);
    const body = json(res);
    expect(Object.keys(body)).toEqual(["job"]);
    expectJobShape(body.job);
    expect(body.job).toEqual(created);
  });

  it("404 NOT_FOUND for an unknown id", async () => {
    expectError(await call(h.app, "GET", `/jobs/${MISSING_ID}`, { key: p.rawKey }), 404);
  });

  it("400 invalid jobId for a non-UUID id", async () => {
    expectError(await call(h.app, "GET", "/jobs/not-a-uuid", { key: p.rawKey }), 400, "invalid jobId");
    expectError(await call(h.app, "GET", "/jobs/123", { key: p.rawKey }), 400, "invalid jobId");
  });

  it("reflects last_run_at set by the worker", async () => {
    const job = await createJob(h.app, p.rawKey);
    const at = new Date("2026-02-03T04:05:06.789Z");
    await h.db.job.update({ where: { id: job.id }, data: { lastRunAt: at } });
    const got = json(await call(h.app, "GET", `/jobs/${job.id}`, { key: p.rawKey })).job;
    expect(got.last_run_at).toBe("2026-02-03T04:05:06.789Z");
  });
});

describe("GET /jobs", () => {
  it("returns 200 {jobs, next_cursor} newest first with full job objects", async () => {
    const q = await h.tenant();
    const a = await createJob(h.app, q.rawKey, { name: "first" });
    const b = await createJob(h.app, q.rawKey, { name: "second" });
    const res = await call(h.app, "GET", "/jobs", { key: q.rawKey });
    expect(res.statusCode).toBe(200);
    const body = json(res);
    expect(Object.keys(body).sort()).toEqual(["jobs", "next_cursor"]);
    expect(body.next_cursor).toBeNull();
    expect(body.jobs.map((j: any) => j.id)).toEqual([b.id, a.id]);
    for (const j of body.jobs) expectJobShape(j);
    expect(body.jobs[1]).toEqual(a);
  });

  it("returns an empty list for a tenant without jobs", async () => {
    const q = await h.tenant();
    const res = await call(h.app, "GET", "/jobs", { key: q.rawKey });
    expect(res.statusCode).toBe(200);
    expect(json(res)).toEqual({ jobs: [], next_cursor: null });
  });

  it("filters by enabled=true|false", async () => {
    const q = await h.tenant();
    const on = await createJob(h.app, q.rawKey, { name: "on" });
    const off = await createJob(h.app, q.rawKey, { name: "off", enabled: false });
    const t = json(await call(h.app, "GET", "/jobs", { key: q.rawKey, query: { enabled: "true" } }));
    expect(t.jobs.map((j: any) => j.id)).toEqual([on.id]);
    const f = json(await call(h.app, "GET", "/jobs", { key: q.rawKey, query: { enabled: "false" } }));
    expect(f.jobs.map((j: any) => j.id)).toEqual([off.id]);
  });

  it("rejects enabled values other than true/false", async () => {
    expectValidation(await call(h.app, "GET", "/jobs", { key: p.rawKey, query: { enabled: "maybe" } }), ["enabled"]);
  });

  it("filters by q (name search)", async () => {
    const q = await h.tenant();
    const match = await createJob(h.app, q.rawKey, { name: "billing-sync-7f3a" });
    await createJob(h.app, q.rawKey, { name: "other" });
    const res = json(await call(h.app, "GET", "/jobs", { key: q.rawKey, query: { q: "sync-7f3a" } }));
    expect(res.jobs.map((j: any) => j.id)).toEqual([match.id]);
  });
});

describe("PATCH /jobs/{jobId}", () => {
  it("returns 200 {job}; absent fields are kept, given fields replaced", async () => {
    const job = await createJob(h.app, p.rawKey, {
      name: "before",
      headers: { "X-A": "1" },
      body: { keep: true },
      retry_max: 2,
      timeout_seconds: 30,
    });
    const res = await patch(job.id, { name: "after", timeout_seconds: 45 });
    expect(res.statusCode).toBe(200);
    const body = json(res);
    expect(Object.keys(body)).toEqual(["job"]);
    expectJobShape(body.job);
    expect(body.job).toMatchObject({
      id: job.id,
      name: "after",
      timeout_seconds: 45,
      headers: { "X-A": "1" },
      body: { keep: true },
      retry_max: 2,
      method: job.method,
      url: job.url,
      cron_expression: job.cron_expression,
      timezone: job.timezone,
      enabled: true,
      created_at: job.created_at,
      tenant_id: job.tenant_id,
      created_by: job.created_by,
    });
    expect(Date.parse(body.job.updated_at)).toBeGreaterThanOrEqual(Date.parse(job.updated_at));
    const got = json(await call(h.app, "GET", `/jobs/${job.id}`, { key: p.rawKey })).job;
    expect(got.name).toBe("after");
    expect(got.timeout_seconds).toBe(45);
  });

  it("body: null clears the body; an absent body is kept", async () => {
    const job = await createJob(h.app, p.rawKey, { body: { a: 1 } });
    const kept = json(await patch(job.id, { name: "x" })).job;
    expect(kept.body).toEqual({ a: 1 });
    const cleared = json(await patch(job.id, { body: null })).job;
    expect(cleared.body).toBeNull();
    const row = await h.db.job.findUniqueOrThrow({ where: { id: job.id } });
    expect(row.body).toBeNull();
  });

  it("replaces a body with a new value", async () => {
    const job = await createJob(h.app, p.rawKey, { body: { a: 1 } });
    const res = json(await patch(job.id, { body: [1, 2] })).job;
    expect(res.body).toEqual([1, 2]);
  });

  it("updates headers", async () => {
    const job = await createJob(h.app, p.rawKey, { headers: { "X-A": "1" } });
    const res = json(await patch(job.id, { headers: { "X-A": "2" } })).job;
    expect(res.headers).toEqual({ "X-A": "2" });
  });

  it("an empty patch, or one that sets every field to its current value, leaves the row untouched (updated_at too)", async () => {
    const job = await createJob(h.app, p.rawKey, {
      cron_expression: "0 0 1 1 *",
      headers: { "X-A": "1", Authorization: "Bearer secret" },
      body: { a: 1, b: { c: [1, 2] } },
      max_runs: 10,
    });
    const before = await h.db.job.findUniqueOrThrow({ where: { id: job.id } });
    const empty = await patch(job.id, {});
    expect(empty.statusCode).toBe(200);
    expect(json(empty).job).toEqual({ ...job, next_runs: json(empty).job.next_runs });
    const same = await patch(job.id, {
      name: job.name,
      method: job.method.toLowerCase(),
      url: job.url,
      // The secret header sent back as read (masked), the body as read (its key order is part of it: see
      // job-body.test.ts).
      headers: { Authorization: "***", "X-A": "1" },
      body: { a: 1, b: { c: [1, 2] } },
      cron_expression: ` ${job.cron_expression} `,
      timezone: "utc",
      retry_max: job.retry_max,
      timeout_seconds: job.timeout_seconds,
      enabled: true,
      concurrency_policy: job.concurrency_policy,
      misfire_policy: job.misfire_policy,
      misfire_catch_up_max: job.misfire_catch_up_max,
      max_runs: 10,
    });
    expect(same.statusCode, same.body).toBe(200);
    expect(json(same).job.updated_at).toBe(job.updated_at);
    expect(await h.db.job.findUniqueOrThrow({ where: { id: job.id } })).toEqual(before);
    // Sending the secret's real value again is no change either.
    const resent = await patch(job.id, { headers: { "X-A": "1", Authorization: "Bearer secret" } });
    expect(json(resent).job.updated_at).toBe(job.updated_at);
    expect(await h.db.job.findUniqueOrThrow({ where: { id: job.id } })).toEqual(before);
    // A real change does write.
    const changed = json(await patch(job.id, { retry_max: job.retry_max + 1 })).job;
    expect(Date.parse(changed.updated_at)).toBeGreaterThan(Date.parse(job.updated_at));
  });

  it("is a merge patch of the job's top-level fields; headers and body are values replaced whole", async () => {
    const job = await createJob(h.app, p.rawKey, { headers: { "X-A": "1", "X-B": "2" }, body: { a: 1, b: { c: 1 } }, max_runs: 5 });
    const res = await patch(job.id, { headers: { "X-B": "3" }, body: { b: { d: 2 } } });
    expect(json(res).job).toMatchObject({ headers: { "X-B": "3" }, body: { b: { d: 2 } }, max_runs: 5, name: job.name });
    // null removes a nullable field (body, max_runs); inside a value it is just a value.
    const cleared = json(await patch(job.id, { body: { keep: null }, max_runs: null })).job;
    expect(cleared).toMatchObject({ body: { keep: null }, max_runs: null });
    expect(json(await patch(job.id, { body: null })).job.body).toBeNull();
  });

  it("accepts Content-Type: application/merge-patch+json", async () => {
    const job = await createJob(h.app, p.rawKey);
    const res = await call(h.app, "PATCH", `/jobs/${job.id}`, {
      key: p.rawKey,
      raw: JSON.stringify({ name: "merge-patched" }),
      headers: { "content-type": "application/merge-patch+json" },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(json(res).job.name).toBe("merge-patched");
  });

  it("a rename keeps next_run_at", async () => {
    const job = await createJob(h.app, p.rawKey);
    await setNextRunAt(job.id, SENTINEL);
    const res = json(await patch(job.id, { name: "renamed", url: "https://example.com/other", retry_max: 4 })).job;
    expect(res.name).toBe("renamed");
    expect(res.next_run_at).toBe(SENTINEL.toISOString());
    expect((await h.db.job.findUniqueOrThrow({ where: { id: job.id } })).nextRunAt?.toISOString()).toBe(SENTINEL.toISOString());
  });

  it("setting cron_expression, timezone or enabled to its current value keeps next_run_at", async () => {
    const job = await createJob(h.app, p.rawKey, { cron_expression: "*/5 * * * *" });
    await setNextRunAt(job.id, SENTINEL);
    const res = json(await patch(job.id, { cron_expression: "*/5 * * * *", timezone: "UTC", enabled: true })).job;
    expect(res.next_run_at).toBe(SENTINEL.toISOString());
  });

  it("a cron change recomputes next_run_at from now", async () => {
    const job = await createJob(h.app, p.rawKey, { cron_expression: "*/5 * * * *" });
    await setNextRunAt(job.id, SENTINEL);
    const before = new Date();
    const res = json(await patch(job.id, { cron_expression: "15 3 * * *" })).job;
    expect(res.cron_expression).toBe("15 3 * * *");
    expect(res.next_run_at).toBe(nextRunAfter("15 3 * * *", "UTC", before).toISOString());
    expect(res.next_runs).toEqual(nextRuns("15 3 * * *", "UTC", before, 5).map((d) => d.toISOString()));
  });

  it("a timezone change recomputes next_run_at in the new zone", async () => {
    const job = await createJob(h.app, p.rawKey, { cron_expression: "0 12 * * *" });
    await setNextRunAt(job.id, SENTINEL);
    const before = new Date();
    const res = json(await patch(job.id, { timezone: "Asia/Tokyo" })).job;
    expect(res.timezone).toBe("Asia/Tokyo");
    expect(res.next_run_at).toBe(nextRunAfter("0 12 * * *", "Asia/Tokyo", before).toISOString());
    expect(new Date(res.next_run_at).getUTCHours()).toBe(3);
  });

  it("enabled:false nulls next_run_at; enabled:true recomputes it", async () => {
    const job = await createJob(h.app, p.rawKey, { cron_expression: "0 6 * * *" });
    const paused = json(await patch(job.id, { enabled: false })).job;
    expect(paused.enabled).toBe(false);
    expect(paused.next_run_at).toBeNull();
    expect(paused.next_runs).toHaveLength(5);
    const before = new Date();
    const resumed = json(await patch(job.id, { enabled: true })).job;
    expect(resumed.enabled).toBe(true);
    expect(resumed.next_run_at).toBe(nextRunAfter("0 6 * * *", "UTC", before).toISOString());
  });

  it("a cron change on a paused job keeps next_run_at null", async () => {
    const job = await createJob(h.app, p.rawKey, { enabled: false });
    const res = json(await patch(job.id, { cron_expression: "0 1 * * *" })).job;
    expect(res.enabled).toBe(false);
    expect(res.next_run_at).toBeNull();
    expect(res.next_runs).toEqual(nextRuns("0 1 * * *", "UTC", new Date(), 5).map((d) => d.toISOString()));
  });

  it("does not touch last_run_at", async () => {
    const job = await createJob(h.app, p.rawKey);
    await h.db.job.update({ where: { id: job.id }, data: { lastRunAt: new Date("2026-01-02T03:04:05.006Z") } });
    const res = json(await patch(job.id, { cron_expression: "0 2 * * *" })).job;
    expect(res.last_run_at).toBe("2026-01-02T03:04:05.006Z");
  });

  it("re-validates the merged job: switching to GET while a body is stored fails", async () => {
    const job = await createJob(h.app, p.rawKey, { method: "POST", body: { a: 1 } });
    const issues = expectValidation(await patch(job.id, { method: "GET" }), ["body"]);
    expect(issueFor(issues, "body").message).toBe("body is not allowed for GET requests");
    const row = await h.db.job.findUniqueOrThrow({ where: { id: job.id } });
    expect(row.method).toBe("POST");
    const ok = await patch(job.id, { method: "get", body: null });
    expect(ok.statusCode).toBe(200);
    expect(json(ok).job).toMatchObject({ method: "GET", body: null });
  });

  it("rejects invalid values with the field names, leaving the job unchanged", async () => {
    const job = await createJob(h.app, p.rawKey);
    const issues = expectValidation(
      await patch(job.id, { name: "", cron_expression: "0 0 31 2 *", timeout_seconds: 0 }),
      ["name", "cron_expression", "timeout_seconds"],
    );
    expect(issueFor(issues, "cron_expression").message).toMatch(/never fires/);
    const got = json(await call(h.app, "GET", `/jobs/${job.id}`, { key: p.rawKey })).job;
    expect(got.name).toBe(job.name);
    expect(got.cron_expression).toBe(job.cron_expression);
  });

  it("validates a patched schedule on its own: never-firing cron, unknown timezone", async () => {
    const job = await createJob(h.app, p.rawKey);
    const issues = expectValidation(await patch(job.id, { cron_expression: "0 0 31 2 *" }), ["cron_expression"]);
    expect(issueFor(issues, "cron_expression").message).toMatch(/never fires/);
    expectValidation(await patch(job.id, { timezone: "Nowhere/Special" }), ["timezone"]);
    expectValidation(await patch(job.id, { cron_expression: "* * *" }), ["cron_expression"]);
    expect((await h.db.job.findUniqueOrThrow({ where: { id: job.id } })).cronExpression).toBe(job.cron_expression);
  });

  it("rejects null for a non-nullable field", async () => {
    const job = await createJob(h.app, p.rawKey);
    expectValidation(await patch(job.id, { name: null }), ["name"]);
    expectValidation(await patch(job.id, { cron_expression: null }), ["cron_expression"]);
  });

  it("rejects unknown fields", async () => {
    const job = await createJob(h.app, p.rawKey);
    expectValidation(await patch(job.id, { name: "x", colour: "red" }), ["colour"]);
    expectValidation(await patch(job.id, { next_run_at: "2030-01-01T00:00:00.000Z" }), ["next_run_at"]);
    expectValidation(await patch(job.id, { tenant_id: MISSING_ID }), ["tenant_id"]);
  });

  it("404 for an unknown id, 400 invalid jobId for a non-UUID", async () => {
    expectError(await patch(MISSING_ID, { name: "x" }), 404);
    expectError(await patch("nope", { name: "x" }), 400, "invalid jobId");
  });

  it("400 invalid JSON body for malformed JSON", async () => {
    const job = await createJob(h.app, p.rawKey);
    expectError(await call(h.app, "PATCH", `/jobs/${job.id}`, { key: p.rawKey, raw: '{"name": ' }), 400, "invalid JSON body");
  });
});

describe("DELETE /jobs/{jobId}", () => {
  it("returns 200 {message:'job deleted'} and cascades runs, attempts and triggers", async () => {
    const job = await createJob(h.app, p.rawKey);
    const run = await insertRun(h.db, job);
    await h.db.jobRunAttempt.create({
      data: {
        runId: run.id,
        attemptNumber: 1,
        outcome: "success",
        responseStatusCode: 200,
        startedAt: new Date(),
        finishedAt: new Date(),
        durationMs: 5,
      },
    });
    expect(json(await call(h.app, "POST", `/jobs/${job.id}/trigger`, { key: p.rawKey })).trigger_id).toMatch(UUID_RE);

    const res = await call(h.app, "DELETE", `/jobs/${job.id}`, { key: p.rawKey });
    expect(res.statusCode).toBe(200);
    expect(json(res)).toEqual({ message: "job deleted" });

    expect(await h.db.job.count({ where: { id: job.id } })).toBe(0);
    expect(await h.db.jobRun.count({ where: { jobId: job.id } })).toBe(0);
    expect(await h.db.jobRunAttempt.count({ where: { runId: run.id } })).toBe(0);
    expect(await h.db.manualTrigger.count({ where: { jobId: job.id } })).toBe(0);
    expectError(await call(h.app, "GET", `/jobs/${job.id}`, { key: p.rawKey }), 404);
    expectError(await call(h.app, "GET", `/runs/${run.id}`, { key: p.rawKey }), 404);
  });

  it("a second delete answers 404", async () => {
    const job = await createJob(h.app, p.rawKey);
    expect((await call(h.app, "DELETE", `/jobs/${job.id}`, { key: p.rawKey })).statusCode).toBe(200);
    expectError(await call(h.app, "DELETE", `/jobs/${job.id}`, { key: p.rawKey }), 404);
  });

  it("404 for an unknown id, 400 invalid jobId for a non-UUID", async () => {
    expectError(await call(h.app, "DELETE", `/jobs/${MISSING_ID}`, { key: p.rawKey }), 404);
    expectError(await call(h.app, "DELETE", "/jobs/xyz", { key: p.rawKey }), 400, "invalid jobId");
  });
});

describe("POST /jobs/{jobId}/pause and /resume", () => {
  it("pause: 200 {job} with enabled false and next_run_at null; next_runs still present", async () => {
    const job = await createJob(h.app, p.rawKey, { cron_expression: "0 0 * * *" });
    expect(job.next_run_at).not.toBeNull();
    const res = await call(h.app, "POST", `/jobs/${job.id}/pause`, { key: p.rawKey });
    expect(res.statusCode).toBe(200);
    const body = json(res);
    expect(Object.keys(body)).toEqual(["job"]);
    expectJobShape(body.job);
    expect(body.job).toMatchObject({ id: job.id, enabled: false, next_run_at: null, name: job.name });
    const row = await h.db.job.findUniqueOrThrow({ where: { id: job.id } });
    expect(row.enabled).toBe(false);
    expect(row.nextRunAt).toBeNull();
  });

  it("pausing twice is fine", async () => {
    const job = await createJob(h.app, p.rawKey);
    await call(h.app, "POST", `/jobs/${job.id}/pause`, { key: p.rawKey });
    const res = await call(h.app, "POST", `/jobs/${job.id}/pause`, { key: p.rawKey });
    expect(res.statusCode).toBe(200);
    expect(json(res).job).toMatchObject({ enabled: false, next_run_at: null });
  });

  it("resume: 200 {job} with enabled true and next_run_at = next slot after now", async () => {
    const job = await createJob(h.app, p.rawKey, { cron_expression: "45 7 * * *", enabled: false });
    const before = new Date();
    const res = await call(h.app, "POST", `/jobs/${job.id}/resume`, { key: p.rawKey });
    expect(res.statusCode).toBe(200);
    const body = json(res);
    expect(Object.keys(body)).toEqual(["job"]);
    expectJobShape(body.job);
    expect(body.job).toMatchObject({ id: job.id, enabled: true });
    expect(body.job.next_run_at).toBe(nextRunAfter("45 7 * * *", "UTC", before).toISOString());
    const row = await h.db.job.findUniqueOrThrow({ where: { id: job.id } });
    expect(row.enabled).toBe(true);
    expect(row.nextRunAt?.toISOString()).toBe(body.job.next_run_at);
  });

  it("resume always recomputes next_run_at, skipping missed slots, even on an enabled job", async () => {
    const job = await createJob(h.app, p.rawKey, { cron_expression: "45 7 * * *" });
    await setNextRunAt(job.id, new Date("2020-01-01T07:45:00.000Z"));
    const before = new Date();
    const res = json(await call(h.app, "POST", `/jobs/${job.id}/resume`, { key: p.rawKey })).job;
    expect(res.next_run_at).toBe(nextRunAfter("45 7 * * *", "UTC", before).toISOString());
    await setNextRunAt(job.id, SENTINEL);
    const again = json(await call(h.app, "POST", `/jobs/${job.id}/resume`, { key: p.rawKey })).job;
    expect(again.next_run_at).toBe(nextRunAfter("45 7 * * *", "UTC", before).toISOString());
  });

  it("404 for unknown ids, 400 invalid jobId for non-UUIDs", async () => {
    for (const action of ["pause", "resume"]) {
      expectError(await call(h.app, "POST", `/jobs/${MISSING_ID}/${action}`, { key: p.rawKey }), 404);
      expectError(await call(h.app, "POST", `/jobs/bad-id/${action}`, { key: p.rawKey }), 400, "invalid jobId");
    }
  });
});

describe("POST /jobs/{jobId}/trigger", () => {
  it("202 {message, trigger_id} and a pending manual_job_triggers row", async () => {
    const job = await createJob(h.app, p.rawKey);
    const res = await call(h.app, "POST", `/jobs/${job.id}/trigger`, { key: p.rawKey });
    expect(res.statusCode).toBe(202);
    const body = json(res);
    expect(Object.keys(body).sort()).toEqual(["message", "trigger_id"]);
    expect(body.message).toBe("manual trigger accepted");
    expect(body.trigger_id).toMatch(UUID_RE);
    const row = await h.db.manualTrigger.findUniqueOrThrow({ where: { id: body.trigger_id } });
    expect(row.jobId).toBe(job.id);
    expect(row.completedAt).toBeNull();
    expect(row.claimedAt).toBeNull();
    expect(Math.abs(row.createdAt.getTime() - Date.now())).toBeLessThan(60_000);
  });

  it("is allowed on a paused job and does not resume it", async () => {
    const job = await createJob(h.app, p.rawKey, { enabled: false });
    const res = await call(h.app, "POST", `/jobs/${job.id}/trigger`, { key: p.rawKey });
    expect(res.statusCode).toBe(202);
    expect(await h.db.manualTrigger.count({ where: { jobId: job.id } })).toBe(1);
    const row = await h.db.job.findUniqueOrThrow({ where: { id: job.id } });
    expect(row.enabled).toBe(false);
    expect(row.nextRunAt).toBeNull();
  });

  it("each call queues its own trigger", async () => {
    const job = await createJob(h.app, p.rawKey);
    const a = json(await call(h.app, "POST", `/jobs/${job.id}/trigger`, { key: p.rawKey }));
    const b = json(await call(h.app, "POST", `/jobs/${job.id}/trigger`, { key: p.rawKey }));
    expect(a.trigger_id).not.toBe(b.trigger_id);
    expect(await h.db.manualTrigger.count({ where: { jobId: job.id } })).toBe(2);
  });

  it("does not change the job's schedule", async () => {
    const job = await createJob(h.app, p.rawKey);
    await setNextRunAt(job.id, SENTINEL);
    await call(h.app, "POST", `/jobs/${job.id}/trigger`, { key: p.rawKey });
    const row = await h.db.job.findUniqueOrThrow({ where: { id: job.id } });
    expect(row.nextRunAt?.toISOString()).toBe(SENTINEL.toISOString());
  });

  it("404 for an unknown id (no row created), 400 invalid jobId for a non-UUID", async () => {
    const count = await h.db.manualTrigger.count();
    expectError(await call(h.app, "POST", `/jobs/${MISSING_ID}/trigger`, { key: p.rawKey }), 404);
    expectError(await call(h.app, "POST", "/jobs/1/trigger", { key: p.rawKey }), 400, "invalid jobId");
    expect(await h.db.manualTrigger.count()).toBe(count);
  });
});

describe("worker wake-up", () => {
  it("create (enabled), resume and trigger each send pg_notify('btick_wakeup')", async () => {
    const l = await listen(h.url, "btick_wakeup");
    try {
      const job = await createJob(h.app, p.rawKey);
      expect(await l.waitFor(1), "after create").toBe(true);
      const n1 = l.count();
      await call(h.app, "POST", `/jobs/${job.id}/pause`, { key: p.rawKey });
      await call(h.app, "POST", `/jobs/${job.id}/resume`, { key: p.rawKey });
      expect(await l.waitFor(n1 + 1), "after resume").toBe(true);
      const n2 = l.count();
      expect((await call(h.app, "POST", `/jobs/${job.id}/trigger`, { key: p.rawKey })).statusCode).toBe(202);
      expect(await l.waitFor(n2 + 1), "after trigger").toBe(true);
    } finally {
      await l.close();
    }
  });
});

describe("timestamps", () => {
  it("created_at/updated_at are ISO UTC with milliseconds and match the database", async () => {
    const job = await createJob(h.app, p.rawKey);
    const row = await h.db.job.findUniqueOrThrow({ where: { id: job.id } });
    expectIso(job.created_at);
    expect(job.created_at).toBe(row.createdAt.toISOString());
    expect(job.updated_at).toBe(row.updatedAt.toISOString());
  });
});

describe("validJob helper sanity", () => {
  it("is accepted as is", async () => {
    const res = await call(h.app, "POST", "/jobs", { key: p.rawKey, body: validJob() });
    expect(res.statusCode).toBe(201);
  });
});
