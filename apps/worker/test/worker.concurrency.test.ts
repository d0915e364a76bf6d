// WORKER_CONCURRENCY bounds the runs executing at once, catch-up bursts included; a claim takes only what fits; an
// attempt's timeout never counts time spent waiting for a free slot.
import { describe, expect, it } from "vitest";

import { claimDueJobs } from "../src/sql/claimDueJobs.ts";
import { createJob, sleep, useTestEnv } from "./helpers.ts";

const env = useTestEnv();

/** A per-minute job whose slot is 30 minutes in the past, caught up to `max` slots. */
async function catchUpJob(max: number) {
  const job = await createJob(env.db, env.tenantId, {
    url: env.target.url,
    cronExpression: "* * * * *",
    nextRunAt: new Date(Math.floor(Date.now() / 60_000) * 60_000 - 30 * 60_000),
  });
  await env.db.job.update({ where: { id: job.id }, data: { misfirePolicy: "catch_up", misfireCatchUpMax: max } });
  return job;
}

describe("concurrency", () => {
  it("a 20-slot catch-up on a worker of concurrency 2 runs 2 at a time, and no attempt times out waiting", async () => {
    let active = 0;
    let maxActive = 0;
    env.target.handler = async (_req, res) => {
      active++;
      maxActive = Math.max(maxActive, active);
      await sleep(250);
      active--;
      res.end("ok");
    };
    const job = await catchUpJob(20);
    // 20 calls of 250 ms, two at a time, take 2.5 s: far beyond the 1.5 s timeout, had it started at the claim.
    const worker = await env.makeWorker({ concurrency: 2, httpTimeoutMs: 1500 });
    const summaries = await worker.runOnce();
    expect(summaries).toHaveLength(20);
    expect(summaries.every((s) => s.status === "success")).toBe(true);
    expect(maxActive).toBeLessThanOrEqual(2);
    expect(env.target.requests).toHaveLength(20);
    const attempts = await env.db.jobRunAttempt.findMany({ where: { run: { jobId: job.id } } });
    expect(attempts.map((a) => a.outcome)).toEqual(Array(20).fill("success"));
  });

  it("a claim takes only the jobs whose runs fit; the others stay due and untouched", async () => {
    const burst = await catchUpJob(20);
    const plain = [];
    for (let i = 0; i < 3; i++) plain.push(await createJob(env.db, env.tenantId, { url: env.target.url }));
    const runs = await claimDueJobs(env.db, { workerId: "w", limit: 4, leaseMs: 60_000 });
    // The first (oldest) job is always taken, even when its catch-up alone exceeds the limit (the worker queues it).
    expect(runs).toHaveLength(20);
    expect(new Set(runs.map((r) => r.jobId))).toEqual(new Set([burst.id]));
    for (const job of plain) {
      const after = await env.db.job.findUniqueOrThrow({ where: { id: job.id } });
      expect(after.nextRunAt?.getTime()).toBe(job.nextRunAt?.getTime());
      expect(await env.db.jobRun.count({ where: { jobId: job.id } })).toBe(0);
    }
    // The next claim takes them.
    expect(await claimDueJobs(env.db, { workerId: "w", limit: 4, leaseMs: 60_000 })).toHaveLength(3);
  });

  it("in continuous mode the runs in flight never exceed the concurrency either", async () => {
    let active = 0;
    let maxActive = 0;
    env.target.handler = async (_req, res) => {
      active++;
      maxActive = Math.max(maxActive, active);
      await sleep(100);
      active--;
      res.end("ok");
    };
    await catchUpJob(12);
    for (let i = 0; i < 6; i++) await createJob(env.db, env.tenantId, { url: env.target.url });
    const worker = await env.makeWorker({ concurrency: 3, pollIntervalMs: 50, maxClaimsPerTick: 10 });
    let maxExecuting = 0;
    await worker.start();
    while (env.target.requests.length < 18) {
      maxExecuting = Math.max(maxExecuting, worker.executing);
      await sleep(5);
    }
    await worker.stop();
    expect(maxActive).toBeLessThanOrEqual(3);
    expect(maxExecuting).toBeLessThanOrEqual(3);
    expect(await env.db.jobRun.count({ where: { status: "success" } })).toBe(18);
  });
});
