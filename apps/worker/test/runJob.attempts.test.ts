// Attempts are recorded as they complete: a run waiting for a retry shows them, and a run that ends cancelled or
// lost keeps the attempts that were really sent.
import { describe, expect, it } from "vitest";

import { RELEASED_ABORT_MESSAGE } from "../src/execute.ts";
import { createJob, deferred, sleep, startWorkerProcess, tempDir, useTestEnv } from "./helpers.ts";

const env = useTestEnv();

const runWithAttempts = (jobId: string) =>
  env.db.jobRun.findMany({ where: { jobId }, include: { attempts: { orderBy: { attemptNumber: "asc" } } }, orderBy: { scheduledFor: "asc" } });

/** Polls until `check` returns a value (the test's own timeout bounds the wait). */
async function until<T>(check: () => Promise<T | null | undefined | false>): Promise<T> {
  for (;;) {
    const v = await check();
    if (v) return v;
    await sleep(20);
  }
}

describe("attempts recorded as they complete", () => {
  it("a run waiting for its retry (503 + Retry-After) shows the finished attempt and attempt_number 1", async () => {
    env.target.handler = (_req, res, i) => {
      if (i === 0) {
        res.writeHead(503, { "retry-after": "2" });
        res.end("busy");
      } else res.end("ok");
    };
    const job = await createJob(env.db, env.tenantId, { url: env.target.url, retryMax: 1 });
    const worker = await env.makeWorker();
    const pass = worker.runOnce();
    // The run and its attempts read in one statement (one snapshot), as soon as an attempt shows up.
    const seen = await until(async () => {
      const rows = await env.db.$queryRaw<{ status: string; attempt_number: number; attempts: [number, string, number | null][] }[]>`
select runs.status, runs.attempt_number,
  (select json_agg(json_build_array(a.attempt_number, a.outcome, a.response_status_code) order by a.attempt_number)
   from job_run_attempts as a where a.run_id = runs.id) as attempts
from job_runs as runs where runs.job_id = ${job.id}::uuid`;
      return rows[0]?.attempts ? rows[0] : null;
    });
    // Seen while the run still waits for its second attempt.
    expect(seen).toMatchObject({ status: "running", attempt_number: 1 });
    expect(seen.attempts).toEqual([[1, "http_error", 503]]);
    expect(await pass).toEqual([{ status: "success", attempts: 2, recorded: true }]);
    const [done] = await runWithAttempts(job.id);
    expect(done?.attempts.map((a) => [a.attemptNumber, a.outcome, a.responseStatusCode])).toEqual([
      [1, "http_error", 503],
      [2, "success", 200],
    ]);
    expect(done).toMatchObject({ status: "success", attemptNumber: 2 });
  });

  it("a run replaced while its request is in flight keeps that attempt (aborted by the cancellation)", async () => {
    const job = await createJob(env.db, env.tenantId, { url: env.target.url });
    await env.db.job.update({ where: { id: job.id }, data: { concurrencyPolicy: "replace" } });
    const gate = deferred();
    env.target.handler = async (_req, res, i) => {
      if (i === 0) await gate.promise;
      if (!res.destroyed) res.end("ok");
    };
    const owner = await env.makeWorker({ pollIntervalMs: 3_600_000, leaseMs: 3_600_000, concurrency: 1 }, { listenUrl: env.tdb.url });
    await owner.start();
    await env.target.waitForRequests(1);
    await env.db.job.update({ where: { id: job.id }, data: { nextRunAt: new Date(Date.now() - 10) } });
    const other = await env.makeWorker();
    expect(await other.runOnce()).toEqual([{ status: "success", attempts: 1, recorded: true }]);
    const [cancelled] = await until(async () => {
      const runs = await runWithAttempts(job.id);
      return runs[0]?.attempts.length ? runs : null;
    });
    gate.resolve();
    expect(cancelled).toMatchObject({ status: "cancelled" });
    expect(cancelled?.attempts.map((a) => [a.attemptNumber, a.outcome, a.errorMessage])).toEqual([[1, "network_error", RELEASED_ABORT_MESSAGE]]);
  });

  it("a run replaced while it waits for a retry keeps its finished attempt", async () => {
    const job = await createJob(env.db, env.tenantId, { url: env.target.url, retryMax: 3 });
    await env.db.job.update({ where: { id: job.id }, data: { concurrencyPolicy: "replace" } });
    env.target.handler = (_req, res, i) => {
      res.writeHead(i === 0 ? 503 : 200, i === 0 ? { "retry-after": "3600" } : {});
      res.end();
    };
    const owner = await env.makeWorker({ concurrency: 1 });
    const pass = owner.runOnce();
    await until(async () => (await runWithAttempts(job.id))[0]?.attempts.length);
    await env.db.job.update({ where: { id: job.id }, data: { nextRunAt: new Date(Date.now() - 10) } });
    const other = await env.makeWorker();
    expect(await other.runOnce()).toEqual([{ status: "success", attempts: 1, recorded: true }]);
    // The owner learns it at its next heartbeat (no LISTEN here) and stops waiting.
    await owner.heartbeat();
    expect(await pass).toEqual([{ status: "failed", attempts: 1, recorded: false }]);
    const [cancelled, next] = await runWithAttempts(job.id);
    expect(cancelled).toMatchObject({ status: "cancelled", attemptNumber: 1 });
    expect(cancelled?.attempts.map((a) => [a.attemptNumber, a.responseStatusCode])).toEqual([[1, 503]]);
    expect(next?.attempts).toHaveLength(1);
  });

  it("a run lost with its SIGKILLed worker keeps the attempts that had finished", async () => {
    env.target.handler = (_req, res) => {
      res.writeHead(503, { "retry-after": "3600" });
      res.end("come back in an hour");
    };
    const job = await createJob(env.db, env.tenantId, { url: env.target.url, retryMax: 2 });
    const p = startWorkerProcess({ DATABASE_URL: env.tdb.url, WORKER_ID: "doomed", WORKER_STALE_CLAIM_SECONDS: "1", WORKER_TASK_LOG_PATH: await tempDir() });
    try {
      await until(async () => (await runWithAttempts(job.id))[0]?.attempts.length);
    } finally {
      p.kill("SIGKILL");
      await p.exit;
    }
    const sweeper = await env.makeWorker();
    await until(async () => (await sweeper.recoverLost()).length);
    const [lost] = await runWithAttempts(job.id);
    expect(lost).toMatchObject({ status: "lost", attemptNumber: 1, workerId: "doomed" });
    expect(lost?.attempts.map((a) => [a.attemptNumber, a.outcome, a.responseStatusCode])).toEqual([[1, "http_error", 503]]);
  });
});
