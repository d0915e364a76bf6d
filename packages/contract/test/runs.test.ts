// Runs are written by the worker; here they are inserted directly and read through the procedures.
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createTestDatabase, type TestDatabase } from "@btick/db/testing";

import { RUN_STATUSES } from "../src/schemas/runs.ts";
import { createTenantWithKey, type TestPrincipal } from "../src/testing.ts";
import { callerFor, rejection, validJob } from "./helpers.ts";

let db: TestDatabase;
let owner: TestPrincipal;
let jobId: string;

async function insertRun(i: number, status: string, triggerType: "scheduled" | "manual") {
  return db.prisma.jobRun.create({
    data: {
      jobId,
      tenantId: owner.tenantId,
      triggerType,
      scheduledFor: new Date(Date.UTC(2030, 0, 1, 0, i)),
      status,
      attemptNumber: 1,
      maxAttempts: 2,
      requestMethod: "POST",
      requestUrl: validJob.url,
      requestHeaders: { "X-A": "1" },
      requestBody: { n: i },
      responseStatusCode: status === "success" ? 200 : 500,
      responseHeaders: { "content-type": ["text/plain"] },
      responseBody: "ok",
      responseBodyBytes: 2,
      workerId: "w1",
      startedAt: new Date(Date.UTC(2030, 0, 1, 0, i, 1)),
      finishedAt: status === "running" ? null : new Date(Date.UTC(2030, 0, 1, 0, i, 2)),
      durationMs: status === "running" ? null : 1000,
    },
  });
}

beforeAll(async () => {
  db = await createTestDatabase();
  owner = await createTenantWithKey(db.prisma);
  const api = await callerFor(db.prisma, owner.rawKey);
  jobId = (await api.jobs.create(validJob)).job.id;
  for (let i = 0; i < 5; i++) await insertRun(i, i % 2 === 0 ? "success" : "failed", i === 4 ? "manual" : "scheduled");
});
afterAll(async () => {
  await db.drop();
});

describe("runs.list", () => {
  it("lists newest first with cursor pagination", async () => {
    const api = await callerFor(db.prisma, owner.rawKey);
    const page1 = await api.runs.list({ jobId, limit: 3 });
    expect(page1.runs.map((r) => r.request_body)).toEqual([{ n: 4 }, { n: 3 }, { n: 2 }]);
    const page2 = await api.runs.list({ jobId, limit: 3, cursor: page1.next_cursor ?? undefined });
    expect(page2.runs.map((r) => r.request_body)).toEqual([{ n: 1 }, { n: 0 }]);
    expect(page2.next_cursor).toBeNull();
    expect(page1.runs[0]).toMatchObject({
      job_id: jobId,
      trigger_type: "manual",
      status: "success",
      response_headers: { "content-type": ["text/plain"] },
      request_headers: { "X-A": "1" },
      started_at: "2030-01-01T00:04:01.000Z",
      duration_ms: 1000,
      response_body_truncated: false,
    });
  });

  it("filters by status and trigger_type in SQL", async () => {
    const api = await callerFor(db.prisma, owner.rawKey);
    expect((await api.runs.list({ jobId, status: "failed" })).runs.map((r) => r.request_body)).toEqual([{ n: 3 }, { n: 1 }]);
    expect((await api.runs.list({ jobId, trigger_type: "manual" })).runs).toHaveLength(1);
    expect((await api.runs.list({ jobId, status: "lost" })).runs).toEqual([]);
    const { envelope } = await rejection(api.runs.list({ jobId, status: "weird" } as never));
    expect(envelope.validation?.[0]?.field).toBe("status");
  });

  it("stores and filters every status the contract documents (the database's status check agrees)", async () => {
    const api = await callerFor(db.prisma, owner.rawKey);
    for (const [i, status] of RUN_STATUSES.entries()) await insertRun(20 + i, status, "scheduled");
    for (const status of RUN_STATUSES) {
      const statuses = (await api.runs.list({ jobId, status })).runs.map((r) => r.status);
      expect(statuses.length, status).toBeGreaterThan(0);
      expect(new Set(statuses)).toEqual(new Set([status]));
    }
    await expect(insertRun(40, "exploded", "scheduled")).rejects.toThrow(/job_runs_status_check/);
  });

  it("is 404 for an unknown job and for another tenant; needs runs:read", async () => {
    const api = await callerFor(db.prisma, owner.rawKey);
    expect((await rejection(api.runs.list({ jobId: "00000000-0000-4000-8000-000000000000" }))).error.code).toBe("NOT_FOUND");
    const other = await createTenantWithKey(db.prisma);
    expect((await rejection((await callerFor(db.prisma, other.rawKey)).runs.list({ jobId }))).error.code).toBe("NOT_FOUND");
    const noRuns = await createTenantWithKey(db.prisma, ["jobs:read"]);
    expect((await rejection((await callerFor(db.prisma, noRuns.rawKey)).runs.list({ jobId }))).error.code).toBe("FORBIDDEN");
  });
});

describe("runs.get", () => {
  it("returns the run with its attempts in order", async () => {
    const run = await insertRun(9, "success", "scheduled");
    for (const n of [2, 1]) {
      await db.prisma.jobRunAttempt.create({
        data: {
          runId: run.id,
          attemptNumber: n,
          outcome: n === 1 ? "http_error" : "success",
          responseStatusCode: n === 1 ? 503 : 200,
          errorMessage: n === 1 ? "HTTP 503" : null,
          startedAt: new Date(Date.UTC(2030, 0, 1, 1, n)),
          finishedAt: new Date(Date.UTC(2030, 0, 1, 1, n, 1)),
          durationMs: 1000,
        },
      });
    }
    const api = await callerFor(db.prisma, owner.rawKey);
    const { run: got } = await api.runs.get({ runId: run.id });
    expect(got.id).toBe(run.id);
    expect(got.attempts.map((a) => [a.attempt_number, a.outcome, a.response_status_code])).toEqual([
      [1, "http_error", 503],
      [2, "success", 200],
    ]);
    const other = await createTenantWithKey(db.prisma);
    const { envelope } = await rejection((await callerFor(db.prisma, other.rawKey)).runs.get({ runId: run.id }));
    expect(envelope.error).toEqual({ error_code: "NOT_FOUND", error_message: "run not found" });
  });

  it("rejects a malformed run id as 'invalid runId'", async () => {
    const api = await callerFor(db.prisma, owner.rawKey);
    const { envelope } = await rejection(api.runs.get({ runId: "nope" }));
    expect(envelope).toEqual({ status: 400, error: { error_code: "INVALID_REQUEST", error_message: "invalid runId" } });
  });
});
