// Concurrency and misfire policies (README "Scheduling semantics") against real Postgres.
import { nextRunAfter } from "@btick/scheduling";
import { describe, expect, it } from "vitest";

import { MISFIRE_SKIPPED_PREFIX, misfireSkippedMessage, SKIPPED_RUNNING_MESSAGE } from "../src/policy.ts";
import { claimDueJobs } from "../src/sql/claimDueJobs.ts";
import { LOST_RUN_MESSAGE } from "../src/sql/recoverLostRuns.ts";
import type { Worker } from "../src/worker.ts";
import { createJob, deferred, sleep, useTestEnv } from "./helpers.ts";

const env = useTestEnv();

async function setPolicy(jobId: string, data: { concurrencyPolicy?: string; misfirePolicy?: string; misfireCatchUpMax?: number }) {
  await env.db.job.update({ where: { id: jobId }, data });
}

/** A run of the job that another (live) worker is executing right now. */
async function runningRun(jobId: string, leaseMs = 60_000) {
  return env.db.jobRun.create({
    data: {
      jobId,
      tenantId: env.tenantId,
      scheduledFor: new Date(Date.now() - 60_000),
      status: "running",
      maxAttempts: 1,
      requestMethod: "POST",
      requestUrl: env.target.url,
      workerId: "other-worker",
      leaseExpiresAt: new Date(Date.now() + leaseMs),
    },
  });
}

const runsOf = (jobId: string) => env.db.jobRun.findMany({ where: { jobId }, orderBy: { scheduledFor: "asc" } });

describe("concurrency_policy", () => {
  it("forbid (default): a slot due while the previous run is running is recorded as skipped and the schedule advances", async () => {
    const job = await createJob(env.db, env.tenantId, { url: env.target.url, cronExpression: "* * * * *" });
    expect(job.concurrencyPolicy).toBe("forbid");
    const previous = await runningRun(job.id);
    const worker = await env.makeWorker();
    expect(await worker.runOnce()).toEqual([]);
    expect(env.target.requests).toHaveLength(0);
    const runs = await runsOf(job.id);
    const skipped = runs.find((r) => r.id !== previous.id);
    expect(skipped).toMatchObject({ status: "skipped", errorMessage: SKIPPED_RUNNING_MESSAGE, durationMs: 0, leaseExpiresAt: null });
    expect(skipped?.scheduledFor.getTime()).toBe(job.nextRunAt?.getTime());
    expect(skipped?.finishedAt).not.toBeNull();
    const after = await env.db.job.findUniqueOrThrow({ where: { id: job.id } });
    expect(after.nextRunAt?.toISOString()).toBe(nextRunAfter("* * * * *", "UTC", job.nextRunAt as Date).toISOString());
    expect((await env.db.jobRun.findUniqueOrThrow({ where: { id: previous.id } })).status).toBe("running");
    await worker.stop();
  });

  it("forbid does not count a running run whose lease already expired: that one is marked lost and the slot runs", async () => {
    const job = await createJob(env.db, env.tenantId, { url: env.target.url });
    const stale = await runningRun(job.id, -1000);
    const worker = await env.makeWorker();
    expect(await worker.runOnce()).toEqual([{ status: "success", attempts: 1, recorded: true }]);
    expect(await env.db.jobRun.findUniqueOrThrow({ where: { id: stale.id } })).toMatchObject({
      status: "lost",
      errorMessage: LOST_RUN_MESSAGE,
    });
    await worker.stop();
  });

  it("allow: runs concurrently with the running one", async () => {
    const job = await createJob(env.db, env.tenantId, { url: env.target.url });
    await setPolicy(job.id, { concurrencyPolicy: "allow" });
    await runningRun(job.id);
    const worker = await env.makeWorker();
    expect(await worker.runOnce()).toEqual([{ status: "success", attempts: 1, recorded: true }]);
    expect((await runsOf(job.id)).map((r) => r.status).sort()).toEqual(["running", "success"]);
    await worker.stop();
  });

  it("replace: cancels the running run (its worker aborts the request at once) and starts the new one", async () => {
    const job = await createJob(env.db, env.tenantId, { url: env.target.url });
    await setPolicy(job.id, { concurrencyPolicy: "replace" });
    const gate = deferred();
    let firstClosed = false;
    env.target.handler = async (_req, res, i) => {
      if (i === 0) {
        res.on("close", () => (firstClosed = true));
        await gate.promise;
      }
      if (!res.destroyed) res.end("ok");
    };
    // The owner runs continuously (LISTEN + heartbeat); a second worker claims the next slot.
    // Concurrency 1: the owner cannot claim the next slot itself while its run is in flight.
    // An hour's lease: the heartbeat (every 20 minutes) cannot be what stops the request during this test.
    const owner = await env.makeWorker({ pollIntervalMs: 3_600_000, leaseMs: 3_600_000, concurrency: 1 }, { listenUrl: env.tdb.url });
    await owner.start();
    await env.target.waitForRequests(1);
    const [first] = await runsOf(job.id);
    await env.db.job.update({ where: { id: job.id }, data: { nextRunAt: new Date(Date.now() - 10) } });
    const other = await env.makeWorker();
    expect(await other.runOnce()).toEqual([{ status: "success", attempts: 1, recorded: true }]);
    // The NOTIFY makes the owner abort the request.
    while (!firstClosed || owner.inFlight > 0) await sleep(20);
    gate.resolve();
    const cancelled = await env.db.jobRun.findUniqueOrThrow({ where: { id: first?.id ?? "" } });
    expect(cancelled.status).toBe("cancelled");
    expect(cancelled.errorMessage).toMatch(/^cancelled: replaced by the run for .* \(concurrency_policy replace\)$/);
    expect((await runsOf(job.id)).map((r) => r.status).sort()).toEqual(["cancelled", "success"]);
    await Promise.all([owner.stop(), other.stop()]);
  });

  it("the heartbeat also notices a cancelled run when the notification is missed", async () => {
    const job = await createJob(env.db, env.tenantId, { url: env.target.url });
    const gate = deferred();
    env.target.handler = async (_req, res) => {
      await gate.promise;
      if (!res.destroyed) res.end("ok");
    };
    const owner = await env.makeWorker(); // no LISTEN
    const pass = owner.runOnce();
    await env.target.waitForRequests(1);
    await env.db.jobRun.updateMany({ where: { jobId: job.id }, data: { status: "cancelled" } });
    // The next heartbeat finds the run no longer renewable and aborts it.
    expect(await owner.heartbeat()).toBe(0);
    expect(await pass).toEqual([{ status: "failed", attempts: 1, recorded: false }]);
    expect(owner.inFlight).toBe(0);
    gate.resolve();
    expect((await runsOf(job.id))[0]?.status).toBe("cancelled");
  });

  it("manual triggers obey the policy: forbid records the trigger as a skipped manual run, replace cancels", async () => {
    const job = await createJob(env.db, env.tenantId, { url: env.target.url, nextRunAt: null });
    const previous = await runningRun(job.id);
    const trigger = await env.db.manualTrigger.create({ data: { jobId: job.id } });
    const worker = await env.makeWorker();
    expect(await worker.runOnce()).toEqual([]);
    const skipped = await env.db.jobRun.findFirstOrThrow({ where: { triggerId: trigger.id } });
    expect(skipped).toMatchObject({ triggerType: "manual", status: "skipped", errorMessage: SKIPPED_RUNNING_MESSAGE });
    expect((await env.db.manualTrigger.findUniqueOrThrow({ where: { id: trigger.id } })).completedAt).not.toBeNull();

    await setPolicy(job.id, { concurrencyPolicy: "replace" });
    const second = await env.db.manualTrigger.create({ data: { jobId: job.id } });
    expect(await worker.runOnce()).toEqual([{ status: "success", attempts: 1, recorded: true }]);
    expect((await env.db.jobRun.findUniqueOrThrow({ where: { id: previous.id } })).status).toBe("cancelled");
    expect((await env.db.jobRun.findFirstOrThrow({ where: { triggerId: second.id } })).status).toBe("success");

    await setPolicy(job.id, { concurrencyPolicy: "allow" });
    await runningRun(job.id);
    await env.db.manualTrigger.create({ data: { jobId: job.id } });
    expect(await worker.runOnce()).toEqual([{ status: "success", attempts: 1, recorded: true }]);
    await worker.stop();
  });
});

describe("misfire_policy", () => {
  // Every minute; the worker was away for 10 minutes (the default threshold is 60 s: these slots have misfired).
  const cron = "* * * * *";
  async function missedJob(policy: string, catchUpMax = 10) {
    const slot = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000);
    const job = await createJob(env.db, env.tenantId, { url: env.target.url, cronExpression: cron, nextRunAt: slot });
    await setPolicy(job.id, { misfirePolicy: policy, misfireCatchUpMax: catchUpMax });
    return { job, slot };
  }
  const minute = (slot: Date, i: number) => new Date(slot.getTime() + i * 60_000);
  /** Runs one pass; returns the job's new next_run_at, checked to be the first slot after the claim. */
  async function passAndNext(worker: Worker, jobId: string) {
    const before = new Date();
    const summaries = await worker.runOnce();
    const after = new Date();
    const next = (await env.db.job.findUniqueOrThrow({ where: { id: jobId } })).nextRunAt as Date;
    expect(next.getTime()).toBeGreaterThanOrEqual(nextRunAfter(cron, "UTC", before).getTime());
    expect(next.getTime()).toBeLessThanOrEqual(nextRunAfter(cron, "UTC", after).getTime());
    return { summaries, next };
  }
  const rows = async (jobId: string) => (await runsOf(jobId)).map((r) => [r.status, r.scheduledFor.toISOString(), r.errorMessage]);

  it("fire_once (default): one run for the oldest missed slot, one skipped row for the rest, then the first slot after now", async () => {
    const { job, slot } = await missedJob("fire_once");
    const worker = await env.makeWorker();
    const { summaries, next } = await passAndNext(worker, job.id);
    expect(summaries).toHaveLength(1);
    expect(await rows(job.id)).toEqual([
      ["success", slot.toISOString(), null],
      ["skipped", minute(slot, 1).toISOString(), misfireSkippedMessage("fire_once", minute(slot, 1), next)],
    ]);
  });

  it("skip: one skipped row records the gap, nothing is executed, the schedule jumps to the first slot after now", async () => {
    const { job, slot } = await missedJob("skip");
    const worker = await env.makeWorker();
    const { summaries, next } = await passAndNext(worker, job.id);
    expect(summaries).toEqual([]);
    expect(env.target.requests).toHaveLength(0);
    expect(await rows(job.id)).toEqual([["skipped", slot.toISOString(), misfireSkippedMessage("skip", slot, next)]]);
  });

  it("catch_up: missed slots run oldest first, at most misfire_catch_up_max; one skipped row for the rest", async () => {
    const { job, slot } = await missedJob("catch_up", 3);
    const worker = await env.makeWorker({ concurrency: 1 });
    const { summaries, next } = await passAndNext(worker, job.id);
    expect(summaries).toHaveLength(3);
    const expected = [0, 1, 2].map((i) => minute(slot, i).toISOString());
    expect(env.target.requests.map((r) => r.headers["x-btick-scheduled-for"])).toEqual(expected);
    expect(await rows(job.id)).toEqual([
      ...expected.map((at) => ["success", at, null]),
      ["skipped", minute(slot, 3).toISOString(), misfireSkippedMessage("catch_up", minute(slot, 3), next)],
    ]);
  });

  it("catch_up with room for all: one run per due slot, no gap before the next slot", async () => {
    const { job, slot } = await missedJob("catch_up", 100);
    const worker = await env.makeWorker({ concurrency: 20 });
    const { next } = await passAndNext(worker, job.id);
    const got = (await runsOf(job.id)).map((r) => [r.status, r.scheduledFor.getTime()]);
    const count = (next.getTime() - slot.getTime()) / 60_000;
    expect(got).toEqual(Array.from({ length: count }, (_, i) => ["success", minute(slot, i).getTime()]));
    expect(new Set(env.target.requests.map((r) => r.headers["x-btick-scheduled-for"])).size).toBe(count);
  });

  it("catch_up under forbid while a run is in progress: the missed slots are recorded as skipped", async () => {
    const { job } = await missedJob("catch_up", 2);
    await runningRun(job.id);
    const worker = await env.makeWorker();
    expect(await worker.runOnce()).toEqual([]);
    const why = (m: string | null) => (m === SKIPPED_RUNNING_MESSAGE ? "still running" : m?.startsWith(MISFIRE_SKIPPED_PREFIX) ? "misfire gap" : m);
    const statuses = (await runsOf(job.id)).filter((r) => r.workerId !== "other-worker").map((r) => [r.status, why(r.errorMessage)]);
    expect(statuses).toEqual([
      ["skipped", "still running"],
      ["skipped", "still running"],
      ["skipped", "misfire gap"],
    ]);
  });

  it("a slot late by less than the threshold is no misfire, whatever the time of the minute", async () => {
    const slot = new Date(Date.now() - 1000);
    const job = await createJob(env.db, env.tenantId, { url: env.target.url, cronExpression: cron, nextRunAt: slot });
    await setPolicy(job.id, { misfirePolicy: "skip" });
    const worker = await env.makeWorker();
    expect(await worker.runOnce()).toEqual([{ status: "success", attempts: 1, recorded: true }]);
    const after = await env.db.job.findUniqueOrThrow({ where: { id: job.id } });
    expect(after.nextRunAt?.toISOString()).toBe(nextRunAfter(cron, "UTC", slot).toISOString());
  });

  it("the threshold is WORKER_MISFIRE_THRESHOLD_SECONDS: with 10 minutes, a slot 5 minutes late just runs", async () => {
    const slot = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 5 * 60_000);
    const job = await createJob(env.db, env.tenantId, { url: env.target.url, cronExpression: cron, nextRunAt: slot });
    await setPolicy(job.id, { misfirePolicy: "skip" });
    const worker = await env.makeWorker({ misfireThresholdMs: 10 * 60_000 });
    expect(await worker.runOnce()).toHaveLength(1);
    expect(await rows(job.id)).toEqual([["success", slot.toISOString(), null]]);
    expect((await env.db.job.findUniqueOrThrow({ where: { id: job.id } })).nextRunAt?.toISOString()).toBe(minute(slot, 1).toISOString());
  });
});

describe("a worker that is merely behind", () => {
  it("executes every late slot (or records it skipped): concurrency 1, a per-second job next to a slow job", async () => {
    env.target.handler = async (req, res) => {
      if (req.url === "/slow") await sleep(2500);
      res.end("ok");
    };
    const first = new Date(Math.ceil(Date.now() / 1000) * 1000 + 1000);
    const perSecond = await createJob(env.db, env.tenantId, { url: `${env.target.url}/fast`, cronExpression: "* * * * * *", nextRunAt: first });
    await createJob(env.db, env.tenantId, { url: `${env.target.url}/slow`, timeoutSeconds: 30, nextRunAt: first });
    const worker = await env.makeWorker({ concurrency: 1, pollIntervalMs: 100 });
    await worker.start();
    const last = new Date(first.getTime() + 5000);
    // Wait until the per-second job's schedule has moved past its 6th slot, then stop.
    for (;;) {
      const job = await env.db.job.findUniqueOrThrow({ where: { id: perSecond.id } });
      if ((job.nextRunAt as Date) > last) break;
      await sleep(100);
    }
    await worker.stop();
    const slots = (await runsOf(perSecond.id)).filter((r) => r.scheduledFor <= last);
    expect(slots.map((r) => r.scheduledFor.getTime())).toEqual(Array.from({ length: 6 }, (_, i) => first.getTime() + i * 1000));
    expect(slots.every((r) => r.status === "success" || r.errorMessage === SKIPPED_RUNNING_MESSAGE)).toBe(true);
  });
});

describe("claiming after a long outage", () => {
  it("600 per-second jobs an hour behind are claimed in one short transaction, one skipped row each", async () => {
    const slot = new Date(Date.now() - 3600_000);
    await env.db.job.createMany({
      data: Array.from({ length: 600 }, (_, i) => ({
        tenantId: env.tenantId,
        name: `behind ${i}`,
        method: "POST",
        url: env.target.url,
        cronExpression: "* * * * * *",
        misfirePolicy: "skip",
        nextRunAt: slot,
      })),
    });
    expect(await claimDueJobs(env.db, { workerId: "w", limit: 600, leaseMs: 60_000 })).toEqual([]);
    // Slots that come due after the claim are late, not misfired: a second claim runs them and records no gap.
    await claimDueJobs(env.db, { workerId: "w", limit: 600, leaseMs: 60_000 });
    const misfires = await env.db.jobRun.count({ where: { errorMessage: { startsWith: MISFIRE_SKIPPED_PREFIX } } });
    expect(misfires).toBe(600);
    expect(await env.db.jobRun.count({ where: { status: { notIn: ["skipped", "running"] } } })).toBe(0);
  });
});
