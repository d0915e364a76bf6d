/* eslint-disable @typescript-eslint/no-explicit-any -- black-box tests read untyped JSON bodies */
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import {
  call,
  createJob,
  expectError,
  expectRunShape,
  expectValidation,
  insertRun,
  json,
  MISSING_ID,
  setup,
  walk,
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

const T0 = Date.parse("2026-05-01T10:00:00.000Z");
const at = (minutes: number) => new Date(T0 + minutes * 60_000);

describe("GET /jobs/{jobId}/runs", () => {
  it("200 {runs, next_cursor}: newest started_at first, every field mapped", async () => {
    const job = await createJob(h.app, p.rawKey, { method: "POST", body: { x: 1 }, headers: { "X-A": "1" } });
    const old = await insertRun(h.db, job, { startedAt: at(0), scheduledFor: at(0) });
    const full = await insertRun(h.db, job, {
      startedAt: at(10),
      scheduledFor: at(9),
      triggerType: "scheduled",
      status: "failed",
      attemptNumber: 3,
      maxAttempts: 3,
      requestMethod: "POST",
      requestUrl: "https://example.com/hook?x=1",
      requestHeaders: { "X-A": "1" },
      requestBody: { x: 1 },
      responseStatusCode: 503,
      responseHeaders: { "content-type": ["text/plain"], "set-cookie": ["a=1", "b=2"] },
      responseBody: "unavailable",
      responseBodyTruncated: true,
      responseBodyBytes: 70000,
      errorMessage: "HTTP 503",
      workerId: "worker-a",
      finishedAt: new Date(at(10).getTime() + 1234),
      durationMs: 1234,
    });
    const mid = await insertRun(h.db, job, { startedAt: at(5), scheduledFor: at(5), status: "running", finishedAt: null });

    const res = await call(h.app, "GET", `/jobs/${job.id}/runs`, { key: p.rawKey });
    expect(res.statusCode).toBe(200);
    const body = json(res);
    expect(Object.keys(body).sort()).toEqual(["next_cursor", "runs"]);
    expect(body.next_cursor).toBeNull();
    expect(body.runs.map((r: any) => r.id)).toEqual([full.id, mid.id, old.id]);
    for (const r of body.runs) expectRunShape(r, false);
    expect(body.runs[0]).toEqual({
      id: full.id,
      job_id: job.id,
      trigger_type: "scheduled",
      scheduled_for: at(9).toISOString(),
      status: "failed",
      attempt_number: 3,
      max_attempts: 3,
      request_method: "POST",
      request_url: "https://example.com/hook?x=1",
      request_headers: { "X-A": "1" },
      request_body: { x: 1 },
      response_status_code: 503,
      response_headers: { "content-type": ["text/plain"], "set-cookie": ["a=1", "b=2"] },
      response_body: "unavailable",
      response_body_truncated: true,
      response_body_bytes: 70000,
      error_message: "HTTP 503",
      worker_id: "worker-a",
      started_at: at(10).toISOString(),
      finished_at: new Date(at(10).getTime() + 1234).toISOString(),
      duration_ms: 1234,
    });
    // A running run: nulls are present, not omitted.
    expect(body.runs[1]).toMatchObject({
      status: "running",
      finished_at: null,
      duration_ms: null,
      response_status_code: null,
      response_body: null,
      error_message: null,
      request_body: null,
      response_body_bytes: null,
    });
  });

  it("an empty job answers {runs: [], next_cursor: null}", async () => {
    const job = await createJob(h.app, p.rawKey);
    expect(json(await call(h.app, "GET", `/jobs/${job.id}/runs`, { key: p.rawKey }))).toEqual({ runs: [], next_cursor: null });
  });

  it("does not list other jobs' runs", async () => {
    const a = await createJob(h.app, p.rawKey);
    const b = await createJob(h.app, p.rawKey);
    const ra = await insertRun(h.db, a);
    await insertRun(h.db, b);
    const res = json(await call(h.app, "GET", `/jobs/${a.id}/runs`, { key: p.rawKey }));
    expect(res.runs.map((r: any) => r.id)).toEqual([ra.id]);
  });

  it("filters by status and trigger_type (also combined)", async () => {
    const job = await createJob(h.app, p.rawKey);
    const s1 = await insertRun(h.db, job, { status: "success", triggerType: "scheduled", startedAt: at(1) });
    const f1 = await insertRun(h.db, job, { status: "failed", triggerType: "scheduled", startedAt: at(2) });
    const m1 = await insertRun(h.db, job, { status: "success", triggerType: "manual", startedAt: at(3) });
    const l1 = await insertRun(h.db, job, { status: "lost", triggerType: "manual", startedAt: at(4) });
    const list = async (query: Record<string, string>) =>
      json(await call(h.app, "GET", `/jobs/${job.id}/runs`, { key: p.rawKey, query })).runs.map((r: any) => r.id);
    expect(await list({ status: "success" })).toEqual([m1.id, s1.id]);
    expect(await list({ status: "failed" })).toEqual([f1.id]);
    expect(await list({ status: "lost" })).toEqual([l1.id]);
    expect(await list({ status: "running" })).toEqual([]);
    expect(await list({ trigger_type: "manual" })).toEqual([l1.id, m1.id]);
    expect(await list({ trigger_type: "scheduled" })).toEqual([f1.id, s1.id]);
    expect(await list({ status: "success", trigger_type: "manual" })).toEqual([m1.id]);
  });

  it("rejects unknown filter values", async () => {
    const job = await createJob(h.app, p.rawKey);
    expectValidation(await call(h.app, "GET", `/jobs/${job.id}/runs`, { key: p.rawKey, query: { status: "bogus" } }), ["status"]);
    expectValidation(
      await call(h.app, "GET", `/jobs/${job.id}/runs`, { key: p.rawKey, query: { trigger_type: "cron" } }),
      ["trigger_type"],
    );
  });

  it("limit defaults to 100; the cursor walks the rest", async () => {
    const job = await createJob(h.app, p.rawKey);
    await h.db.jobRun.createMany({
      data: Array.from({ length: 101 }, (_, i) => ({
        jobId: job.id,
        tenantId: job.tenant_id,
        scheduledFor: at(1000 + i),
        startedAt: at(1000 + i),
        status: "success",
        maxAttempts: 1,
        requestMethod: "POST",
        requestUrl: "https://example.com",
      })),
    });
    const first = json(await call(h.app, "GET", `/jobs/${job.id}/runs`, { key: p.rawKey }));
    expect(first.runs).toHaveLength(100);
    expect(typeof first.next_cursor).toBe("string");
    expect(first.runs[0].started_at).toBe(at(1100).toISOString());
    const pages = await walk(h.app, p.rawKey, `/jobs/${job.id}/runs`, "runs");
    const all = pages.flat();
    expect(all).toHaveLength(101);
    expect(new Set(all.map((r) => r.id)).size).toBe(101);
    expect(all[100].started_at).toBe(at(1000).toISOString());
  });

  it("the cursor walk keeps started_at desc, id desc order when started_at ties", async () => {
    const job = await createJob(h.app, p.rawKey);
    const same = at(5000);
    await h.db.jobRun.createMany({
      data: Array.from({ length: 9 }, (_, i) => ({
        jobId: job.id,
        tenantId: job.tenant_id,
        scheduledFor: at(6000 + i),
        startedAt: i < 7 ? same : at(4000 + i),
        status: "success",
        maxAttempts: 1,
        requestMethod: "POST",
        requestUrl: "https://example.com",
      })),
    });
    const rows = await h.db.jobRun.findMany({ where: { jobId: job.id } });
    const expected = rows
      .sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
      .map((r) => r.id);
    const pages = await walk(h.app, p.rawKey, `/jobs/${job.id}/runs`, "runs", { limit: "2" });
    for (const page of pages) expect(page.length).toBeLessThanOrEqual(2);
    expect(pages.flat().map((r) => r.id)).toEqual(expected);
  });

  it("404 for an unknown job, 400 invalid jobId for a non-UUID", async () => {
    expectError(await call(h.app, "GET", `/jobs/${MISSING_ID}/runs`, { key: p.rawKey }), 404);
    expectError(await call(h.app, "GET", "/jobs/not-uuid/runs", { key: p.rawKey }), 400, "invalid jobId");
  });
});

describe("GET /runs/{runId}", () => {
  it("200 {run} with attempts in attempt order", async () => {
    const job = await createJob(h.app, p.rawKey);
    const run = await insertRun(h.db, job, {
      status: "success",
      triggerType: "manual",
      attemptNumber: 2,
      maxAttempts: 3,
      startedAt: at(0),
      finishedAt: at(1),
      durationMs: 60_000,
      responseStatusCode: 200,
      responseHeaders: { "x-ok": ["1"] },
      responseBody: "ok",
      responseBodyBytes: 2,
      workerId: "w1",
    });
    await h.db.jobRunAttempt.create({
      data: {
        runId: run.id,
        attemptNumber: 2,
        outcome: "success",
        responseStatusCode: 200,
        errorMessage: null,
        startedAt: new Date(T0 + 30_000),
        finishedAt: new Date(T0 + 30_250),
        durationMs: 250,
      },
    });
    await h.db.jobRunAttempt.create({
      data: {
        runId: run.id,
        attemptNumber: 1,
        outcome: "http_error",
        responseStatusCode: 502,
        errorMessage: "HTTP 502",
        startedAt: new Date(T0 + 1000),
        finishedAt: new Date(T0 + 1100),
        durationMs: 100,
      },
    });

    const res = await call(h.app, "GET", `/runs/${run.id}`, { key: p.rawKey });
    expect(res.statusCode).toBe(200);
    const body = json(res);
    expect(Object.keys(body)).toEqual(["run"]);
    expectRunShape(body.run, true);
    expect(body.run).toMatchObject({
      id: run.id,
      job_id: job.id,
      trigger_type: "manual",
      status: "success",
      attempt_number: 2,
      max_attempts: 3,
      response_status_code: 200,
      response_headers: { "x-ok": ["1"] },
      response_body: "ok",
      response_body_truncated: false,
      response_body_bytes: 2,
      worker_id: "w1",
      started_at: at(0).toISOString(),
      finished_at: at(1).toISOString(),
      duration_ms: 60_000,
    });
    expect(body.run.attempts).toEqual([
      {
        attempt_number: 1,
        outcome: "http_error",
        response_status_code: 502,
        error_message: "HTTP 502",
        started_at: new Date(T0 + 1000).toISOString(),
        finished_at: new Date(T0 + 1100).toISOString(),
        duration_ms: 100,
      },
      {
        attempt_number: 2,
        outcome: "success",
        response_status_code: 200,
        error_message: null,
        started_at: new Date(T0 + 30_000).toISOString(),
        finished_at: new Date(T0 + 30_250).toISOString(),
        duration_ms: 250,
      },
    ]);
  });

  it("a run without attempts has attempts: []", async () => {
    const job = await createJob(h.app, p.rawKey);
    const run = await insertRun(h.db, job, { status: "running" });
    const body = json(await call(h.app, "GET", `/runs/${run.id}`, { key: p.rawKey }));
    expect(body.run.attempts).toEqual([]);
    expect(body.run.status).toBe("running");
  });

  it("404 for an unknown id, 400 invalid runId for a non-UUID", async () => {
    expectError(await call(h.app, "GET", `/runs/${MISSING_ID}`, { key: p.rawKey }), 404);
    expectError(await call(h.app, "GET", "/runs/abc", { key: p.rawKey }), 400, "invalid runId");
  });
});
