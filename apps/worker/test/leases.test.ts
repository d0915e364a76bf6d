// Leases under time pressure: a long healthy run outlives many lease lengths without being taken over, a dead
// worker's run is marked lost by another worker within the stale window, and schedule edits racing a claim.
import { createTestDatabase, type TestDatabase } from "@btick/db/testing";
import { nextRunAfter } from "@btick/scheduling";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

import { claimDueJobs } from "../src/sql/claimDueJobs.ts";
import { LOST_RUN_MESSAGE } from "../src/sql/recoverLostRuns.ts";
import type { Worker } from "../src/worker.ts";
import { createJob, createTenant, makeWorker as makeTestWorker, sleep, startTarget, type Target } from "./helpers.ts";

let tdb: TestDatabase;
let target: Target;
let tenantId: string;
const started: Worker[] = [];
const makeWorker = async (...args: Parameters<typeof makeTestWorker>) => {
  const w = await makeTestWorker(...args);
  started.push(w);
  return w;
};

beforeAll(async () => {
  tdb = await createTestDatabase();
  target = await startTarget();
  tenantId = await createTenant(tdb.prisma);
});
afterAll(async () => {
  await target.close();
  await tdb.drop();
});
afterEach(async () => {
  await Promise.all(started.splice(0).map((w) => w.stop({ graceMs: 0 })));
  await tdb.prisma.job.deleteMany();
  target.requests.length = 0;
  target.handler = (_req, res) => void res.end("ok");
});

describe("heartbeat", () => {
  it("a run whose timeout × attempts is many times the lease is never taken over while its worker lives", async () => {
    // 4 attempts of up to 1.2 s (three time out) ≈ 3.7 s, against a 1 s lease (the stale window, scaled down)
    // renewed every ~333 ms, while another worker sweeps every 50 ms.
    const job = await createJob(tdb.prisma, tenantId, { url: target.url, retryMax: 3, timeoutSeconds: 60 });
    target.handler = async (_req, res, i) => {
      if (i < 3) await sleep(2000);
      if (!res.destroyed) res.end("finally");
    };
    const owner = await makeWorker(tdb.prisma, { leaseMs: 1000, httpTimeoutMs: 1200, pollIntervalMs: 60_000 });
    const sweeper = await makeWorker(tdb.prisma, { sweepIntervalMs: 50, pollIntervalMs: 50, concurrency: 1 });
    await owner.start();
    await target.waitForRequests(1);
    await sweeper.start();
    const t0 = Date.now();
    let run = await tdb.prisma.jobRun.findFirstOrThrow({ where: { jobId: job.id } });
    while (run.status === "running" && Date.now() - t0 < 15_000) {
      await sleep(50);
      run = await tdb.prisma.jobRun.findFirstOrThrow({ where: { jobId: job.id } });
    }
    expect(run.status).not.toBe("lost");
    expect(Date.now() - t0).toBeGreaterThan(3 * 1000);
    expect(run).toMatchObject({ status: "success", attemptNumber: 4, workerId: owner.id });
    expect(target.requests.map((r) => r.headers["x-btick-attempt"])).toEqual(["1", "2", "3", "4"]);
    expect(await tdb.prisma.jobRun.count({ where: { jobId: job.id } })).toBe(1);
  });

  it("a dead worker's run is marked lost by a live worker once its lease expires, within the stale window", async () => {
    const job = await createJob(tdb.prisma, tenantId, { url: target.url });
    // A worker claims and dies at once: no heartbeat ever renews the 800 ms lease.
    const [claimed] = await claimDueJobs(tdb.prisma, { workerId: "dead-worker", limit: 1, leaseMs: 800 });
    expect(claimed?.jobId).toBe(job.id);
    const row = await tdb.prisma.jobRun.findUniqueOrThrow({ where: { id: claimed?.runId ?? "" } });
    const recovering = await makeWorker(tdb.prisma, { sweepIntervalMs: 100, pollIntervalMs: 60_000 });
    await recovering.start();
    await sleep(400);
    expect((await tdb.prisma.jobRun.findUniqueOrThrow({ where: { id: row.id } })).status).toBe("running");
    let lost = row;
    const t0 = Date.now();
    while (lost.status === "running" && Date.now() - t0 < 5000) {
      await sleep(25);
      lost = await tdb.prisma.jobRun.findUniqueOrThrow({ where: { id: row.id } });
    }
    expect(lost).toMatchObject({ status: "lost", errorMessage: LOST_RUN_MESSAGE, workerId: "dead-worker" });
    const expiredAt = (row.leaseExpiresAt as Date).getTime();
    const markedAt = (lost.finishedAt as Date).getTime();
    expect(expiredAt - row.startedAt.getTime()).toBe(800);
    // Marked after the lease expired, and within one sweep interval (plus scheduling slack) of it.
    expect(markedAt).toBeGreaterThanOrEqual(expiredAt);
    expect(markedAt - expiredAt).toBeLessThan(1000);
    // Lost is final: the slot is recorded and not executed again.
    expect(target.requests).toHaveLength(0);
  });
});

describe("schedule edits racing the claim", () => {
  it("an edit committed while the claim would run is never overwritten: the row lock orders them", async () => {
    const job = await createJob(tdb.prisma, tenantId, { url: target.url, cronExpression: "* * * * *" });
    const editor = new pg.Client({ connectionString: tdb.url });
    await editor.connect();
    try {
      // The API's PATCH holds the job row while it writes a new cron and next_run_at.
      const newNext = nextRunAfter("5 5 5 5 *", "UTC", new Date());
      await editor.query("begin");
      await editor.query("update jobs set cron_expression = $2, next_run_at = $3 where id = $1", [job.id, "5 5 5 5 *", newNext]);
      const worker = await makeWorker(tdb.prisma);
      // The claim skips the locked row instead of reading the old schedule.
      expect(await worker.runOnce()).toEqual([]);
      await editor.query("commit");
      expect(await worker.runOnce()).toEqual([]);
      const after = await tdb.prisma.job.findUniqueOrThrow({ where: { id: job.id } });
      expect(after).toMatchObject({ cronExpression: "5 5 5 5 *" });
      expect(after.nextRunAt?.toISOString()).toBe(newNext.toISOString());
      expect(await tdb.prisma.jobRun.count({ where: { jobId: job.id } })).toBe(0);
    } finally {
      await editor.end();
    }
  });

  it("an edit right after a claim keeps the edit; the claimed run finishes without touching the schedule", async () => {
    const job = await createJob(tdb.prisma, tenantId, { url: target.url, cronExpression: "* * * * *" });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    target.handler = async (_req, res) => {
      await gate;
      res.end("ok");
    };
    const worker = await makeWorker(tdb.prisma);
    const pass = worker.runOnce();
    await target.waitForRequests(1);
    // Pause, resume with a new schedule, and edit again while the old slot's run is in flight.
    await tdb.prisma.job.update({ where: { id: job.id }, data: { enabled: false, nextRunAt: null } });
    const resumedNext = nextRunAfter("0 12 * * *", "UTC", new Date());
    await tdb.prisma.job.update({ where: { id: job.id }, data: { enabled: true, cronExpression: "0 12 * * *", nextRunAt: resumedNext } });
    release();
    expect(await pass).toEqual([{ status: "success", attempts: 1, recorded: true }]);
    const after = await tdb.prisma.job.findUniqueOrThrow({ where: { id: job.id } });
    expect(after).toMatchObject({ enabled: true, cronExpression: "0 12 * * *" });
    expect(after.nextRunAt?.toISOString()).toBe(resumedNext.toISOString());
  });
});
