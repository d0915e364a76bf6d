// Continuous mode: immediate first poll, LISTEN wake-ups, sleeping until the next due time, graceful shutdown.
import { describe, expect, it } from "vitest";

import { createJob, deferred, sleep, useTestEnv } from "./helpers.ts";

const env = useTestEnv();

async function notify(): Promise<void> {
  await env.db.$executeRaw`select pg_notify('btick_wakeup', '')`;
}

/** Polls `check` until it returns true (the test's own timeout bounds the wait). */
async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await check())) await sleep(20);
}

// The poll interval is an hour in these tests: any run that happens proves that something other than the poll
// interval woke the worker. Timings (how soon) are measured by `pnpm bench`, not asserted here.
const HOUR = 3_600_000;

describe("continuous mode", () => {
  it("polls immediately at start", async () => {
    await createJob(env.db, env.tenantId, { url: env.target.url });
    const worker = await env.makeWorker({ pollIntervalMs: HOUR });
    await worker.start();
    await env.target.waitForRequests(1, 20_000);
  });

  it("wakes on NOTIFY btick_wakeup instead of waiting for the poll interval", async () => {
    const job = await createJob(env.db, env.tenantId, { url: env.target.url, nextRunAt: null, enabled: false });
    const worker = await env.makeWorker({ pollIntervalMs: HOUR }, { listenUrl: env.tdb.url });
    await worker.start();
    // The first pass found nothing; the worker now sleeps for an hour.
    await until(() => worker.lastTickAt !== null);
    await env.db.manualTrigger.create({ data: { jobId: job.id } });
    await notify();
    await env.target.waitForRequests(1, 20_000);
  });

  it("without a notification it sleeps until the earliest next_run_at, not the full poll interval", async () => {
    const worker = await env.makeWorker({ pollIntervalMs: HOUR });
    const job = await createJob(env.db, env.tenantId, { url: env.target.url, nextRunAt: new Date(Date.now() + 800) });
    await worker.start();
    await env.target.waitForRequests(1, 20_000);
    // Claimed once due (database clock), not before.
    const run = await env.db.jobRun.findFirstOrThrow({ where: { jobId: job.id } });
    expect(run.startedAt.getTime()).toBeGreaterThanOrEqual(run.scheduledFor.getTime());
  });

  it("reconnects the LISTEN connection after it is killed", async () => {
    const job = await createJob(env.db, env.tenantId, { url: env.target.url, nextRunAt: null, enabled: false });
    const worker = await env.makeWorker({ pollIntervalMs: HOUR }, { listenUrl: env.tdb.url });
    await worker.start();
    await until(() => worker.lastTickAt !== null);
    const tick = worker.lastTickAt;
    const killed = await env.db.$queryRaw<{ ok: boolean }[]>`
select pg_terminate_backend(pid) as ok from pg_stat_activity where application_name like 'btick-worker-listen:%' and datname = current_database()`;
    expect(killed).toHaveLength(1);
    // A reconnected listener wakes the loop once it listens again (a notification may have been missed meanwhile):
    // the next pass marks that moment. Then a notification must still wake the worker.
    await until(() => worker.lastTickAt !== tick);
    await env.db.manualTrigger.create({ data: { jobId: job.id } });
    await notify();
    await env.target.waitForRequests(1, 20_000);
  });
});

describe("graceful shutdown", () => {
  it("stops claiming and lets in-flight runs finish within the grace period", async () => {
    const gate = deferred();
    env.target.handler = async (_req, res) => {
      await gate.promise;
      res.end("finished");
    };
    const job = await createJob(env.db, env.tenantId, { url: env.target.url });
    const worker = await env.makeWorker({ pollIntervalMs: 50 });
    await worker.start();
    await env.target.waitForRequests(1);
    const stopped = worker.stop({ graceMs: 5000 });
    // Due work appearing after stop() is not claimed.
    await createJob(env.db, env.tenantId, { url: `${env.target.url}/late` });
    await sleep(150);
    gate.resolve();
    await stopped;
    expect(env.target.requests.map((r) => r.url)).toEqual(["/"]);
    const run = await env.db.jobRun.findFirstOrThrow({ where: { jobId: job.id } });
    expect(run).toMatchObject({ status: "success", responseBody: "finished" });
  });

  it("aborts in-flight runs after the grace period and records them as failed", async () => {
    // The target answers only after the test: stop() returns because the worker aborts the request.
    const gate = deferred();
    env.target.handler = async (_req, res) => {
      await gate.promise;
      if (!res.destroyed) res.end("too late");
    };
    const job = await createJob(env.db, env.tenantId, { url: env.target.url, retryMax: 3, timeoutSeconds: 30 });
    const worker = await env.makeWorker({ pollIntervalMs: 50 });
    await worker.start();
    await env.target.waitForRequests(1);
    await worker.stop({ graceMs: 100 });
    gate.resolve();
    const run = await env.db.jobRun.findFirstOrThrow({ where: { jobId: job.id }, include: { attempts: true } });
    expect(run).toMatchObject({ status: "failed", errorMessage: "worker shutting down", attemptNumber: 1 });
    expect(run.attempts).toHaveLength(1);
    expect(run.attempts[0]?.errorMessage).toBe("aborted: worker shutting down");
    expect(env.target.requests).toHaveLength(1);
  });
});
