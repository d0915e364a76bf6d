// Concurrency and misfire policies (README "Scheduling semantics") against real Postgres.
import { nextRunAfter } from "@btick/scheduling";
import { describe, expect, it } from "vitest";

import { SKIPPED_MISFIRE_MESSAGE, SKIPPED_RUNNING_MESSAGE } from "../src/policy.ts";
import { LOST_RUN_MESSAGE } from "../src/sql/recoverLostRuns.ts";
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
    expect(after.nextRunAt?.getTime()).toBeGreaterThan(Date.now());
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
  // Every minute; the worker was away for ~10 minutes.
  const cron = "* * * * *";
  async function missedJob(policy: string, catchUpMax = 10) {
    const slot = nextRunAfter(cron, "UTC", new Date(Date.now() - 10.5 * 60_000));
    const job = await createJob(env.db, env.tenantId, { url: env.target.url, cronExpression: cron, nextRunAt: slot });
    await setPolicy(job.id, { misfirePolicy: policy, misfireCatchUpMax: catchUpMax });
    return { job, slot };
  }
  function missedSlots(slot: Date, now = new Date()): Date[] {
    const out = [slot];
    for (let at = nextRunAfter(cron, "UTC", slot); at <= now; at = nextRunAfter(cron, "UTC", at)) out.push(at);
    return out;
  }

  it("fire_once (default): one run for the oldest missed slot, then the next future slot", async () => {
    const { job, slot } = await missedJob("fire_once");
    const worker = await env.makeWorker();
    expect(await worker.runOnce()).toHaveLength(1);
    const runs = await runsOf(job.id);
    expect(runs.map((r) => [r.status, r.scheduledFor.getTime()])).toEqual([["success", slot.getTime()]]);
    const after = await env.db.job.findUniqueOrThrow({ where: { id: job.id } });
    expect(after.nextRunAt?.getTime()).toBe(nextRunAfter(cron, "UTC", new Date()).getTime());
    await worker.stop();
  });

  it("skip: one skipped run records the gap, nothing is executed, the schedule jumps to the next future slot", async () => {
    const { job, slot } = await missedJob("skip");
    const worker = await env.makeWorker();
    expect(await worker.runOnce()).toEqual([]);
    expect(env.target.requests).toHaveLength(0);
    const runs = await runsOf(job.id);
    expect(runs.map((r) => [r.status, r.scheduledFor.getTime(), r.errorMessage])).toEqual([
      ["skipped", slot.getTime(), SKIPPED_MISFIRE_MESSAGE],
    ]);
    const after = await env.db.job.findUniqueOrThrow({ where: { id: job.id } });
    expect(after.nextRunAt?.getTime()).toBeGreaterThan(Date.now());
    await worker.stop();
  });

  it("catch_up: every missed slot runs, oldest first, at most misfire_catch_up_max; then the next future slot", async () => {
    const { job, slot } = await missedJob("catch_up", 3);
    const worker = await env.makeWorker({ concurrency: 1 });
    expect(await worker.runOnce()).toHaveLength(3);
    const expected = missedSlots(slot).slice(0, 3).map((d) => d.toISOString());
    expect(env.target.requests.map((r) => r.headers["x-btick-scheduled-for"])).toEqual(expected);
    expect((await runsOf(job.id)).map((r) => r.scheduledFor.toISOString())).toEqual(expected);
    const after = await env.db.job.findUniqueOrThrow({ where: { id: job.id } });
    expect(after.nextRunAt?.getTime()).toBeGreaterThan(Date.now());
    await worker.stop();
  });

  it("catch_up with room for all: one run per missed slot", async () => {
    const { job, slot } = await missedJob("catch_up", 100);
    const before = missedSlots(slot);
    const worker = await env.makeWorker({ concurrency: 20 });
    await worker.runOnce();
    const got = (await runsOf(job.id)).map((r) => r.scheduledFor.toISOString());
    // 11 slots were due when the test computed them (10.5 minutes back); a minute boundary may add one more.
    expect(got.slice(0, before.length)).toEqual(before.map((d) => d.toISOString()));
    expect(got.length - before.length).toBeLessThanOrEqual(1);
    expect(new Set(env.target.requests.map((r) => r.headers["x-btick-scheduled-for"])).size).toBe(got.length);
    await worker.stop();
  });

  it("catch_up under forbid while a run is in progress: the missed slots are recorded as skipped", async () => {
    const { job } = await missedJob("catch_up", 2);
    await runningRun(job.id);
    const worker = await env.makeWorker();
    expect(await worker.runOnce()).toEqual([]);
    const statuses = (await runsOf(job.id)).map((r) => r.status);
    expect(statuses.filter((s) => s === "skipped")).toHaveLength(2);
    await worker.stop();
  });

  it("a slot that is late but not missed (the next one is still in the future) is no misfire", async () => {
    const job = await createJob(env.db, env.tenantId, { url: env.target.url, cronExpression: cron, nextRunAt: new Date(Date.now() - 1000) });
    await setPolicy(job.id, { misfirePolicy: "skip" });
    const worker = await env.makeWorker();
    expect(await worker.runOnce()).toEqual([{ status: "success", attempts: 1, recorded: true }]);
    await worker.stop();
  });
});
