// Leases under time pressure: a long healthy run outlives many lease lengths without being taken over, a dead
// worker's run is marked lost by another worker within the stale window, and schedule edits racing a claim.
import { nextRunAfter } from "@btick/scheduling";
import pg from "pg";
import { describe, expect, it } from "vitest";

import { claimDueJobs } from "../src/sql/claimDueJobs.ts";
import { LOST_RUN_MESSAGE } from "../src/sql/recoverLostRuns.ts";
import { createJob, sleep, useTestEnv } from "./helpers.ts";

const env = useTestEnv();

describe("heartbeat", () => {
  it("a run whose timeout × attempts is many times the lease is never taken over while its worker lives", async () => {
    // 4 attempts of up to 1.2 s (three time out) ≈ 3.7 s, against a 2 s lease (the stale window, scaled down)
    // renewed every ~667 ms, while another worker sweeps every 50 ms.
    const job = await createJob(env.db, env.tenantId, { url: env.target.url, retryMax: 3, timeoutSeconds: 60 });
    env.target.handler = async (_req, res, i) => {
      if (i < 3) await sleep(2000);
      if (!res.destroyed) res.end("finally");
    };
    const owner = await env.makeWorker({ leaseMs: 2000, httpTimeoutMs: 1200, pollIntervalMs: 60_000 });
    const sweeper = await env.makeWorker({ sweepIntervalMs: 50, pollIntervalMs: 50, concurrency: 1 });
    await owner.start();
    await env.target.waitForRequests(1);
    await sweeper.start();
    let run = await env.db.jobRun.findFirstOrThrow({ where: { jobId: job.id } });
    while (run.status === "running") {
      await sleep(50);
      run = await env.db.jobRun.findFirstOrThrow({ where: { jobId: job.id } });
    }
    expect(run.status).not.toBe("lost");
    // The run outlived its first lease several times over.
    expect(run.finishedAt?.getTime() ?? 0).toBeGreaterThan(run.startedAt.getTime() + 3 * 1000);
    expect(run).toMatchObject({ status: "success", attemptNumber: 4, workerId: owner.id });
    expect(env.target.requests.map((r) => r.headers["x-btick-attempt"])).toEqual(["1", "2", "3", "4"]);
    expect(await env.db.jobRun.count({ where: { jobId: job.id } })).toBe(1);
  });

  it("a dead worker's run is marked lost by a live worker once its lease expires, not before", async () => {
    const job = await createJob(env.db, env.tenantId, { url: env.target.url });
    // A worker claims and dies at once: no heartbeat ever renews the 800 ms lease.
    const [claimed] = await claimDueJobs(env.db, { workerId: "dead-worker", limit: 1, leaseMs: 800 });
    expect(claimed?.jobId).toBe(job.id);
    const row = await env.db.jobRun.findUniqueOrThrow({ where: { id: claimed?.runId ?? "" } });
    const recovering = await env.makeWorker({ sweepIntervalMs: 100, pollIntervalMs: 60_000 });
    await recovering.start();
    let lost = row;
    while (lost.status === "running") {
      await sleep(25);
      lost = await env.db.jobRun.findUniqueOrThrow({ where: { id: row.id } });
    }
    expect(lost).toMatchObject({ status: "lost", errorMessage: LOST_RUN_MESSAGE, workerId: "dead-worker" });
    const expiredAt = (row.leaseExpiresAt as Date).getTime();
    const markedAt = (lost.finishedAt as Date).getTime();
    expect(expiredAt - row.startedAt.getTime()).toBe(800);
    // Marked after the lease expired (how soon after is the sweep interval's business, not asserted here).
    expect(markedAt).toBeGreaterThanOrEqual(expiredAt);
    // Lost is final: the slot is recorded and not executed again.
    expect(env.target.requests).toHaveLength(0);
  });
});

describe("schedule edits racing the claim", () => {
  it("an edit committed while the claim would run is never overwritten: the row lock orders them", async () => {
    const job = await createJob(env.db, env.tenantId, { url: env.target.url, cronExpression: "* * * * *" });
    const editor = new pg.Client({ connectionString: env.tdb.url });
    await editor.connect();
    try {
      // The API's PATCH holds the job row while it writes a new cron and next_run_at.
      const newNext = nextRunAfter("5 5 5 5 *", "UTC", new Date());
      await editor.query("begin");
      await editor.query("update jobs set cron_expression = $2, next_run_at = $3 where id = $1", [job.id, "5 5 5 5 *", newNext]);
      const worker = await env.makeWorker();
      // The claim skips the locked row instead of reading the old schedule.
      expect(await worker.runOnce()).toEqual([]);
      await editor.query("commit");
      expect(await worker.runOnce()).toEqual([]);
      const after = await env.db.job.findUniqueOrThrow({ where: { id: job.id } });
      expect(after).toMatchObject({ cronExpression: "5 5 5 5 *" });
      expect(after.nextRunAt?.toISOString()).toBe(newNext.toISOString());
      expect(await env.db.jobRun.count({ where: { jobId: job.id } })).toBe(0);
    } finally {
      await editor.end();
    }
  });

  it("an edit right after a claim keeps the edit; the claimed run finishes without touching the schedule", async () => {
    const job = await createJob(env.db, env.tenantId, { url: env.target.url, cronExpression: "* * * * *" });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    env.target.handler = async (_req, res) => {
      await gate;
      res.end("ok");
    };
    const worker = await env.makeWorker();
    const pass = worker.runOnce();
    await env.target.waitForRequests(1);
    // Pause, resume with a new schedule, and edit again while the old slot's run is in flight.
    await env.db.job.update({ where: { id: job.id }, data: { enabled: false, nextRunAt: null } });
    const resumedNext = nextRunAfter("0 12 * * *", "UTC", new Date());
    await env.db.job.update({ where: { id: job.id }, data: { enabled: true, cronExpression: "0 12 * * *", nextRunAt: resumedNext } });
    release();
    expect(await pass).toEqual([{ status: "success", attempts: 1, recorded: true }]);
    const after = await env.db.job.findUniqueOrThrow({ where: { id: job.id } });
    expect(after).toMatchObject({ enabled: true, cronExpression: "0 12 * * *" });
    expect(after.nextRunAt?.toISOString()).toBe(resumedNext.toISOString());
  });
});
