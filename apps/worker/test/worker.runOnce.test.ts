import { readFile } from "node:fs/promises";
import { join } from "node:path";

import { nextRunAfter } from "@btick/scheduling";
import { describe, expect, it } from "vitest";

import { captureLogger, createJob, useTestEnv } from "./helpers.ts";

const env = useTestEnv();

describe("runOnce", () => {
  it("executes a due job once and records the run with its attempt", async () => {
    const slot = new Date(Date.now() - 1500);
    slot.setMilliseconds(0);
    const job = await createJob(env.db, env.tenantId, {
      url: `${env.target.url}/hook?x=1`,
      method: "POST",
      headers: { "X-Custom": "abc" },
      body: { hello: "wörld" },
      nextRunAt: slot,
    });
    const worker = await env.makeWorker();
    const summaries = await worker.runOnce();
    expect(summaries).toEqual([{ status: "success", attempts: 1, recorded: true }]);
    expect(env.target.requests).toHaveLength(1);
    const req = env.target.requests[0];
    expect(req?.method).toBe("POST");
    expect(req?.url).toBe("/hook?x=1");
    expect(JSON.parse(req?.body ?? "")).toEqual({ hello: "wörld" });
    expect(req?.headers["content-type"]).toBe("application/json");
    expect(req?.headers["user-agent"]).toBe("btick-worker/0.1");
    expect(req?.headers["x-custom"]).toBe("abc");
    expect(req?.headers["x-btick-job-id"]).toBe(job.id);
    expect(req?.headers["x-btick-scheduled-for"]).toBe(slot.toISOString());
    expect(req?.headers["x-btick-attempt"]).toBe("1");

    const runs = await env.db.jobRun.findMany({ where: { jobId: job.id }, include: { attempts: true } });
    expect(runs).toHaveLength(1);
    const run = runs[0];
    expect(req?.headers["x-btick-run-id"]).toBe(run?.id);
    expect(req?.headers["idempotency-key"]).toBe(run?.id);
    expect(run).toMatchObject({
      status: "success",
      triggerType: "scheduled",
      attemptNumber: 1,
      maxAttempts: 1,
      requestMethod: "POST",
      requestUrl: `${env.target.url}/hook?x=1`,
      requestHeaders: { "X-Custom": "abc" },
      requestBody: { hello: "wörld" },
      responseStatusCode: 200,
      responseBody: "ok",
      responseBodyTruncated: false,
      responseBodyBytes: 2,
      errorMessage: null,
      workerId: worker.id,
    });
    expect(run?.scheduledFor.toISOString()).toBe(slot.toISOString());
    expect(run?.finishedAt).not.toBeNull();
    expect(run?.durationMs).toBeGreaterThanOrEqual(0);
    expect((run?.responseHeaders as Record<string, string[]>)["content-type"]).toEqual(["text/plain"]);
    expect(run?.attempts).toHaveLength(1);
    expect(run?.attempts[0]).toMatchObject({ attemptNumber: 1, outcome: "success", responseStatusCode: 200, errorMessage: null });

    // A second pass finds nothing due: the slot is never executed twice.
    expect(await worker.runOnce()).toEqual([]);
    expect(env.target.requests).toHaveLength(1);
    await worker.stop();
  });

  it("advances next_run_at from the slot, and fires missed slots once then continues in the future", async () => {
    // Every minute; the job's slot is 10 minutes in the past (a worker outage).
    const slot = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000);
    const job = await createJob(env.db, env.tenantId, { url: env.target.url, cronExpression: "* * * * *", nextRunAt: slot });
    const worker = await env.makeWorker();
    const before = new Date();
    await worker.runOnce();
    const afterPass = new Date();
    expect(env.target.requests).toHaveLength(1);
    const after = await env.db.job.findUniqueOrThrow({ where: { id: job.id } });
    // Not slot + 1 minute (which would replay every missed minute): the first slot after the claim.
    expect(after.nextRunAt?.getTime()).toBeGreaterThanOrEqual(nextRunAfter("* * * * *", "UTC", before).getTime());
    expect(after.nextRunAt?.getTime()).toBeLessThanOrEqual(nextRunAfter("* * * * *", "UTC", afterPass).getTime());
    expect(after.lastRunAt).not.toBeNull();
    // The missed minutes in between are recorded by one skipped row.
    const runs = await env.db.jobRun.findMany({ where: { jobId: job.id }, orderBy: { scheduledFor: "asc" } });
    expect(runs.map((r) => [r.scheduledFor.toISOString(), r.status])).toEqual([
      [slot.toISOString(), "success"],
      [new Date(slot.getTime() + 60_000).toISOString(), "skipped"],
    ]);
    await worker.stop();
  });

  it("computes next_run_at at claim time from the slot, not from when the run finished", async () => {
    // Every second; the target takes 1.2 s. The original computed the next run from the finish time, skipping slots.
    env.target.handler = async (_req, res) => {
      await new Promise((r) => setTimeout(r, 1200));
      res.end("ok");
    };
    const job = await createJob(env.db, env.tenantId, { url: env.target.url, cronExpression: "* * * * * *", nextRunAt: new Date(Date.now() - 200) });
    const worker = await env.makeWorker();
    await worker.runOnce();
    const run = await env.db.jobRun.findFirstOrThrow({ where: { jobId: job.id } });
    const after = await env.db.job.findUniqueOrThrow({ where: { id: job.id } });
    expect(after.nextRunAt?.getTime()).toBeLessThan((run.finishedAt as Date).getTime());
    expect(after.nextRunAt?.getTime()).toBeGreaterThan(run.scheduledFor.getTime());
    expect(after.nextRunAt?.getTime()).toBeLessThanOrEqual(run.startedAt.getTime() + 1000);
    await worker.stop();
  });

  it("a job whose next slot cannot be computed runs its due slot, then stops being scheduled (logged)", async () => {
    const job = await createJob(env.db, env.tenantId, { url: env.target.url, timezone: "Mars/Olympus_Mons" });
    const { logger, lines } = captureLogger();
    const worker = await env.makeWorker({}, { logger });
    expect(await worker.runOnce()).toEqual([{ status: "success", attempts: 1, recorded: true }]);
    const after = await env.db.job.findUniqueOrThrow({ where: { id: job.id } });
    expect(after.nextRunAt).toBeNull();
    expect(lines.find((l) => l.job_id === job.id && l.level === 50)?.msg).toMatch(/cannot compute the next run time/);
    expect(await worker.runOnce()).toEqual([]);
    await worker.stop();
  });

  it("does not execute jobs that are paused or not yet due", async () => {
    await createJob(env.db, env.tenantId, { url: env.target.url, enabled: false, nextRunAt: new Date(Date.now() - 1000) });
    await createJob(env.db, env.tenantId, { url: env.target.url, nextRunAt: new Date(Date.now() + 60_000) });
    await createJob(env.db, env.tenantId, { url: env.target.url, nextRunAt: null });
    const worker = await env.makeWorker();
    expect(await worker.runOnce()).toEqual([]);
    expect(env.target.requests).toHaveLength(0);
    await worker.stop();
  });

  it("executes a manual trigger, also for a paused job, without touching the schedule", async () => {
    const job = await createJob(env.db, env.tenantId, { url: `${env.target.url}/manual`, enabled: false, nextRunAt: null, method: "GET" });
    const trigger = await env.db.manualTrigger.create({ data: { jobId: job.id, triggeredBy: "user:test" } });
    const worker = await env.makeWorker();
    const summaries = await worker.runOnce();
    expect(summaries).toEqual([{ status: "success", attempts: 1, recorded: true }]);
    expect(env.target.requests.map((r) => `${r.method} ${r.url}`)).toEqual(["GET /manual"]);
    expect(env.target.requests[0]?.headers["content-type"]).toBeUndefined();
    const run = await env.db.jobRun.findFirstOrThrow({ where: { jobId: job.id } });
    expect(run).toMatchObject({ triggerType: "manual", triggerId: trigger.id, status: "success" });
    expect(run.scheduledFor.toISOString()).toBe(trigger.createdAt.toISOString());
    const t = await env.db.manualTrigger.findUniqueOrThrow({ where: { id: trigger.id } });
    expect(t.completedAt).not.toBeNull();
    expect(t.claimedBy).toBe(worker.id);
    const after = await env.db.job.findUniqueOrThrow({ where: { id: job.id } });
    expect(after.nextRunAt).toBeNull();
    expect(after.enabled).toBe(false);
    // The trigger is consumed.
    expect(await worker.runOnce()).toEqual([]);
    expect(env.target.requests).toHaveLength(1);
    await worker.stop();
  });

  it("never runs more than `concurrency` requests at once, and still drains everything due", async () => {
    let active = 0;
    let maxActive = 0;
    env.target.handler = async (_req, res) => {
      active++;
      maxActive = Math.max(maxActive, active);
      await new Promise((r) => setTimeout(r, 40));
      active--;
      res.end("ok");
    };
    for (let i = 0; i < 7; i++) await createJob(env.db, env.tenantId, { url: env.target.url });
    const worker = await env.makeWorker({ concurrency: 2, maxClaimsPerTick: 5 });
    const summaries = await worker.runOnce();
    expect(summaries).toHaveLength(7);
    expect(env.target.requests).toHaveLength(7);
    expect(maxActive).toBe(2);
    await worker.stop();
  });

  it("writes one log file per run and tags every pino line with job_id and run_id", async () => {
    const job = await createJob(env.db, env.tenantId, { url: env.target.url });
    const { logger, lines } = captureLogger();
    const worker = await env.makeWorker({}, { logger });
    await worker.runOnce();
    const run = await env.db.jobRun.findFirstOrThrow({ where: { jobId: job.id } });
    const text = await readFile(join(worker.options.taskLogPath as string, `${run.id}.log`), "utf8");
    const fileLines = text.trim().split("\n");
    expect(fileLines[0]).toMatch(/^\d{4}-\d\d-\d\dT\S+Z claimed scheduled run of job /);
    expect(text).toContain("attempt 1 started");
    expect(text).toContain("attempt 1 finished: success 200");
    expect(fileLines.at(-1)).toMatch(/finished: success after 1 attempt/);
    const runLines = lines.filter((l) => l.msg === "run finished" || l.msg === "attempt finished" || l.msg === "run claimed");
    expect(runLines.length).toBeGreaterThanOrEqual(3);
    for (const l of runLines) expect(l).toMatchObject({ job_id: job.id, run_id: run.id, worker_id: worker.id });
    await worker.stop();
  });
});
