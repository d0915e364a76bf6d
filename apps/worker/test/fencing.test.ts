// Leases: fenced completion, lost-run recovery, heartbeat, and jobs changed while their run is in flight.
import { describe, expect, it } from "vitest";

import { LOST_RUN_MESSAGE } from "../src/sql/recoverLostRuns.ts";
import { captureLogger, createJob, deferred, sleep, useTestEnv } from "./helpers.ts";

const env = useTestEnv();

/** Makes the target hold its first response until `release()`; returns a promise for the first request's arrival. */
function holdFirstResponse(status = 200) {
  const gate = deferred();
  env.target.handler = async (_req, res, i) => {
    if (i === 0) await gate.promise;
    res.writeHead(i === 0 ? status : 200);
    res.end("done");
  };
  return { release: () => gate.resolve(), arrived: env.target.waitForRequests(1) };
}

describe("fenced completion", () => {
  it("does not overwrite a run that was taken over mid-run", async () => {
    const job = await createJob(env.db, env.tenantId, { url: env.target.url });
    const worker = await env.makeWorker();
    const hold = holdFirstResponse();
    const pass = worker.runOnce();
    await hold.arrived;
    const run = await env.db.jobRun.findFirstOrThrow({ where: { jobId: job.id } });
    expect(run).toMatchObject({ status: "running", workerId: worker.id });
    await env.db.jobRun.update({ where: { id: run.id }, data: { workerId: "another-worker" } });
    hold.release();
    expect(await pass).toEqual([{ status: "success", attempts: 1, recorded: false }]);
    const after = await env.db.jobRun.findUniqueOrThrow({ where: { id: run.id }, include: { attempts: true } });
    expect(after).toMatchObject({ status: "running", workerId: "another-worker", responseStatusCode: null, finishedAt: null });
    expect(after.attempts).toHaveLength(0);
    await worker.stop();
  });

  it("does not overwrite a run already marked lost, and stops retrying it", async () => {
    const job = await createJob(env.db, env.tenantId, { url: env.target.url, retryMax: 3 });
    const worker = await env.makeWorker();
    const hold = holdFirstResponse(500);
    const pass = worker.runOnce();
    await hold.arrived;
    const run = await env.db.jobRun.findFirstOrThrow({ where: { jobId: job.id } });
    await env.db.jobRun.update({
      where: { id: run.id },
      data: { status: "lost", errorMessage: LOST_RUN_MESSAGE, finishedAt: new Date() },
    });
    hold.release();
    const [summary] = await pass;
    expect(summary?.recorded).toBe(false);
    // The 500 would normally be retried 3 times; the lost lease stops it after the first.
    await sleep(100);
    expect(env.target.requests).toHaveLength(1);
    const after = await env.db.jobRun.findUniqueOrThrow({ where: { id: run.id } });
    expect(after).toMatchObject({ status: "lost", errorMessage: LOST_RUN_MESSAGE, responseStatusCode: null });
    await worker.stop();
  });
});

describe("lost-run recovery", () => {
  it("marks running runs with an expired lease as lost, and only those", async () => {
    const job = await createJob(env.db, env.tenantId, { url: env.target.url, nextRunAt: null });
    const base = {
      jobId: job.id,
      tenantId: env.tenantId,
      status: "running",
      maxAttempts: 1,
      requestMethod: "POST",
      requestUrl: env.target.url,
      workerId: "dead-worker",
    };
    const expired = await env.db.jobRun.create({
      data: { ...base, scheduledFor: new Date(Date.now() - 600_000), leaseExpiresAt: new Date(Date.now() - 1000) },
    });
    const healthy = await env.db.jobRun.create({
      data: { ...base, scheduledFor: new Date(Date.now() - 500_000), leaseExpiresAt: new Date(Date.now() + 60_000) },
    });
    const finished = await env.db.jobRun.create({
      data: { ...base, status: "success", scheduledFor: new Date(Date.now() - 400_000), leaseExpiresAt: new Date(Date.now() - 1000) },
    });
    const worker = await env.makeWorker();
    expect(await worker.recoverLost()).toEqual([expired.id]);
    const rows = await env.db.jobRun.findMany({ where: { jobId: job.id } });
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get(expired.id)).toMatchObject({ status: "lost", errorMessage: "worker lost: lease expired" });
    expect(byId.get(expired.id)?.finishedAt).not.toBeNull();
    expect(byId.get(expired.id)?.durationMs).toBeGreaterThan(0);
    expect(byId.get(healthy.id)?.status).toBe("running");
    expect(byId.get(finished.id)?.status).toBe("success");
    expect(await worker.recoverLost()).toEqual([]);
    await worker.stop();
  });

  it("sweeps at start-up in continuous mode", async () => {
    const job = await createJob(env.db, env.tenantId, { url: env.target.url, nextRunAt: null });
    const run = await env.db.jobRun.create({
      data: {
        jobId: job.id,
        tenantId: env.tenantId,
        status: "running",
        maxAttempts: 1,
        requestMethod: "POST",
        requestUrl: env.target.url,
        workerId: "dead-worker",
        scheduledFor: new Date(Date.now() - 600_000),
        leaseExpiresAt: new Date(Date.now() - 1000),
      },
    });
    const worker = await env.makeWorker({ pollIntervalMs: 60_000, sweepIntervalMs: 60_000 });
    await worker.start();
    for (let i = 0; i < 50; i++) {
      const r = await env.db.jobRun.findUniqueOrThrow({ where: { id: run.id } });
      if (r.status === "lost") break;
      await sleep(20);
    }
    expect((await env.db.jobRun.findUniqueOrThrow({ where: { id: run.id } })).status).toBe("lost");
    await worker.stop();
  });

  it("the heartbeat renews the leases of in-flight runs, so a sweeper never takes a run whose worker lives", async () => {
    const job = await createJob(env.db, env.tenantId, { url: env.target.url });
    const hold = holdFirstResponse();
    const worker = await env.makeWorker();
    const pass = worker.runOnce(); // no heartbeat timer: the test calls heartbeat() itself
    await hold.arrived;
    // The lease is about to run out...
    await env.db.$executeRaw`update job_runs set lease_expires_at = now() + interval '200 milliseconds' where job_id = ${job.id}::uuid`;
    // ...and the heartbeat extends it by a whole lease (60 s here).
    expect(await worker.heartbeat()).toBe(1);
    const renewed = await env.db.$queryRaw<{ left_ms: number }[]>`
select (extract(epoch from (runs.lease_expires_at - now())) * 1000)::float8 as left_ms from job_runs as runs where runs.job_id = ${job.id}::uuid`;
    expect(renewed[0]?.left_ms).toBeGreaterThan(30_000);
    // Well past the old expiry, a sweeper finds nothing to take.
    await sleep(400);
    const sweeper = await env.makeWorker();
    expect(await sweeper.recoverLost()).toEqual([]);
    hold.release();
    expect(await pass).toEqual([{ status: "success", attempts: 1, recorded: true }]);
    expect((await env.db.jobRun.findFirstOrThrow({ where: { jobId: job.id } })).status).toBe("success");
  });

  it("a heartbeat during a run's final write does not take the finished run for a lost one", async () => {
    const job = await createJob(env.db, env.tenantId, { url: env.target.url });
    // The final write commits, but its answer reaches the worker only when the test says so.
    const gate = deferred();
    let finishCommitted = false;
    const db = new Proxy(env.db, {
      get(obj, prop, receiver) {
        if (prop !== "$queryRaw") return Reflect.get(obj, prop, receiver) as unknown;
        return async (strings: TemplateStringsArray, ...values: unknown[]) => {
          const result: unknown = await obj.$queryRaw(strings, ...values);
          if (strings.join("?").includes("response_body_truncated = input.response_body_truncated")) {
            finishCommitted = true;
            await gate.promise;
          }
          return result;
        };
      },
    });
    const { logger, lines } = captureLogger();
    const worker = await env.makeWorkerOn(db, {}, { logger });
    const pass = worker.runOnce();
    while (!finishCommitted) await sleep(10);
    expect((await env.db.jobRun.findFirstOrThrow({ where: { jobId: job.id } })).status).toBe("success");
    // The row is no longer `running`, because this worker finished it: nothing to renew, nothing to abort.
    expect(await worker.heartbeat()).toBe(0);
    gate.resolve();
    expect(await pass).toEqual([{ status: "success", attempts: 1, recorded: true }]);
    expect(lines.filter((l) => l.msg === "run is no longer ours; aborting it")).toEqual([]);
  });

  it("without a heartbeat, the same run would be lost (the previous test can fail)", async () => {
    const job = await createJob(env.db, env.tenantId, { url: env.target.url });
    const hold = holdFirstResponse();
    const worker = await env.makeWorker({ leaseMs: 100 });
    const pass = worker.runOnce(); // runOnce has no heartbeat timer
    await hold.arrived;
    await sleep(150);
    const sweeper = await env.makeWorker();
    expect(await sweeper.recoverLost()).toHaveLength(1);
    hold.release();
    expect((await pass)[0]?.recorded).toBe(false);
    expect((await env.db.jobRun.findFirstOrThrow({ where: { jobId: job.id } })).status).toBe("lost");
    await worker.stop();
  });
});

describe("jobs changed while their run is in flight", () => {
  it("an edit keeps the API's new schedule (completion never writes the job's schedule)", async () => {
    const job = await createJob(env.db, env.tenantId, { url: env.target.url, cronExpression: "* * * * *" });
    const worker = await env.makeWorker();
    const hold = holdFirstResponse();
    const pass = worker.runOnce();
    await hold.arrived;
    const newNext = new Date("2031-05-05T05:05:00.000Z");
    await env.db.job.update({ where: { id: job.id }, data: { cronExpression: "5 5 5 5 *", nextRunAt: newNext } });
    hold.release();
    expect((await pass)[0]).toMatchObject({ status: "success", recorded: true });
    const after = await env.db.job.findUniqueOrThrow({ where: { id: job.id } });
    expect(after.nextRunAt?.toISOString()).toBe(newNext.toISOString());
    expect(after.cronExpression).toBe("5 5 5 5 *");
    await worker.stop();
  });

  it("a pause keeps next_run_at null", async () => {
    const job = await createJob(env.db, env.tenantId, { url: env.target.url, cronExpression: "* * * * *" });
    const worker = await env.makeWorker();
    const hold = holdFirstResponse();
    const pass = worker.runOnce();
    await hold.arrived;
    await env.db.job.update({ where: { id: job.id }, data: { enabled: false, nextRunAt: null } });
    hold.release();
    await pass;
    const after = await env.db.job.findUniqueOrThrow({ where: { id: job.id } });
    expect(after).toMatchObject({ enabled: false, nextRunAt: null });
    expect((await env.db.jobRun.findFirstOrThrow({ where: { jobId: job.id } })).status).toBe("success");
    await worker.stop();
  });

  it("a delete does not crash the worker; the result is discarded", async () => {
    const job = await createJob(env.db, env.tenantId, { url: env.target.url, retryMax: 2 });
    const worker = await env.makeWorker();
    const hold = holdFirstResponse(500);
    const pass = worker.runOnce();
    await hold.arrived;
    await env.db.job.delete({ where: { id: job.id } });
    hold.release();
    expect(await pass).toEqual([{ status: "failed", attempts: 1, recorded: false }]);
    expect(env.target.requests).toHaveLength(1);
    expect(await env.db.jobRun.count({ where: { jobId: job.id } })).toBe(0);
    // The worker keeps working.
    await createJob(env.db, env.tenantId, { url: env.target.url });
    expect(await worker.runOnce()).toEqual([{ status: "success", attempts: 1, recorded: true }]);
    await worker.stop();
  });
});

describe("one execution per slot", () => {
  it("the unique (job_id, scheduled_for) refuses a second run of a slot even if next_run_at is put back", async () => {
    const slot = new Date(Date.now() - 5000);
    const job = await createJob(env.db, env.tenantId, { url: env.target.url, cronExpression: "* * * * *", nextRunAt: slot });
    const worker = await env.makeWorker();
    await worker.runOnce();
    // Something (a bug, a restore) puts the job back on the same slot: it is claimed but not executed again,
    // and the schedule still moves forward.
    await env.db.job.update({ where: { id: job.id }, data: { nextRunAt: slot } });
    expect(await worker.runOnce()).toEqual([]);
    expect(env.target.requests).toHaveLength(1);
    expect(await env.db.jobRun.count({ where: { jobId: job.id } })).toBe(1);
    const after = await env.db.job.findUniqueOrThrow({ where: { id: job.id } });
    expect(after.nextRunAt?.getTime()).toBeGreaterThan(slot.getTime());
    await worker.stop();
  });
});
