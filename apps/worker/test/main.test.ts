// The real entry point as a process: env validation, start-up log, SIGTERM handling.
import { loadWorkerEnv } from "@btick/config";
import { createTestDatabase, type TestDatabase } from "@btick/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { optionsFromEnv } from "../src/options.ts";
import { createJob, createTenant, deferred, freePort, startTarget, startWorkerProcess as startMain, tempDir, type Target } from "./helpers.ts";

describe("environment", () => {
  it("parses the original's variables into options", () => {
    const env = loadWorkerEnv({
      DATABASE_URL: "postgres://x@localhost/db",
      WORKER_ID: "w-1",
      WORKER_CONCURRENCY: "7",
      WORKER_POLL_INTERVAL_MS: "500",
      WORKER_STALE_CLAIM_MINUTES: "2",
      WORKER_MAX_CLAIMS_PER_TICK: "3",
      WORKER_MISFIRE_THRESHOLD_SECONDS: "15",
      WORKER_TASK_LOG_PATH: "/tmp/x",
      WORKER_HTTP_TIMEOUT_SECONDS: "9",
    });
    expect(optionsFromEnv(env)).toMatchObject({
      workerId: "w-1",
      concurrency: 7,
      pollIntervalMs: 500,
      leaseMs: 120_000,
      maxClaimsPerTick: 3,
      misfireThresholdMs: 15_000,
      taskLogPath: "/tmp/x",
      httpTimeoutMs: 9000,
      shutdownGraceMs: 30_000,
    });
  });

  it("WORKER_STALE_CLAIM_SECONDS replaces the minutes and shortens the sweep interval with it", () => {
    const env = loadWorkerEnv({ DATABASE_URL: "postgres://x@localhost/db", WORKER_STALE_CLAIM_SECONDS: "6" });
    expect(optionsFromEnv(env)).toMatchObject({ leaseMs: 6000, sweepIntervalMs: 1500 });
    expect(optionsFromEnv(loadWorkerEnv({ DATABASE_URL: "postgres://x@localhost/db" }))).toMatchObject({ leaseMs: 300_000, sweepIntervalMs: 30_000 });
  });

  it("a bad value stops the process with one line naming the variable", async () => {
    const p = startMain({ DATABASE_URL: "postgres://nobody@127.0.0.1:1/none", WORKER_CONCURRENCY: "lots" });
    expect(await p.exit).toBe(1);
    const lines = p.stderr().trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/WORKER_CONCURRENCY/);
    expect(p.stdout()).toBe("");
  });

  it("a missing DATABASE_URL is named too", async () => {
    const p = startMain({});
    expect(await p.exit).toBe(1);
    expect(p.stderr().trim().split("\n")).toHaveLength(1);
    expect(p.stderr()).toMatch(/DATABASE_URL/);
  });
});

describe("process", () => {
  let tdb: TestDatabase;
  let target: Target;
  beforeAll(async () => {
    tdb = await createTestDatabase();
    target = await startTarget();
  });
  afterAll(async () => {
    await target.close();
    await tdb.drop();
  });

  it("logs its start as JSON, executes due work, and exits 0 on SIGTERM", async () => {
    const tenantId = await createTenant(tdb.prisma);
    const job = await createJob(tdb.prisma, tenantId, { url: target.url });
    const p = startMain({ DATABASE_URL: tdb.url, WORKER_ID: "proc-worker", WORKER_TASK_LOG_PATH: await tempDir(), LOG_LEVEL: "info" });
    await p.waitFor(/scheduler-worker proc-worker started/);
    const started = p.stdout().split("\n").find((l) => l.includes("started")) ?? "";
    expect(JSON.parse(started)).toMatchObject({ msg: "scheduler-worker proc-worker started", worker_id: "proc-worker" });
    await target.waitForRequests(1, 10_000);
    await p.waitFor(/"msg":"run finished"/);
    p.kill("SIGTERM");
    expect(await p.exit).toBe(0);
    const run = await tdb.prisma.jobRun.findFirstOrThrow({ where: { jobId: job.id } });
    expect(run).toMatchObject({ status: "success", workerId: "proc-worker" });
  });

  it("serves /healthz, /readyz and /metrics on WORKER_METRICS_PORT and refuses private targets by default", async () => {
    const tenantId = await createTenant(tdb.prisma);
    const job = await createJob(tdb.prisma, tenantId, { url: `${target.url}/private`, retryMax: 2 });
    const port = await freePort();
    const p = startMain({
      DATABASE_URL: tdb.url,
      WORKER_ID: "proc-metrics",
      WORKER_TASK_LOG_PATH: await tempDir(),
      WORKER_POLL_INTERVAL_MS: "200",
      WORKER_ALLOW_PRIVATE_NETWORKS: "false",
      WORKER_METRICS_PORT: String(port),
      WORKER_METRICS_HOST: "127.0.0.1",
    });
    await p.waitFor(/"msg":"run finished"/);
    const finished = JSON.parse(p.stdout().split("\n").find((l) => l.includes('"run finished"')) ?? "{}") as Record<string, unknown>;
    expect(finished).toMatchObject({ job_id: job.id, status: "blocked_by_policy", attempts: 1, worker_id: "proc-metrics" });
    expect(finished.run_id).toEqual(expect.any(String));
    const base = `http://127.0.0.1:${port}`;
    expect(await (await fetch(`${base}/healthz`)).text()).toBe("ok");
    expect(await (await fetch(`${base}/readyz`)).text()).toBe("ready");
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^btick_worker_runs_total\{status="blocked_by_policy",trigger_type="scheduled"\} 1$/m);
    expect(metrics).toMatch(/^btick_worker_attempt_duration_seconds_count\{outcome="blocked"\} 1$/m);
    p.kill("SIGTERM");
    expect(await p.exit).toBe(0);
    expect(target.requests.filter((r) => r.url === "/private")).toHaveLength(0);
    await tdb.prisma.job.delete({ where: { id: job.id } });
  });

  it("on SIGTERM waits WORKER_SHUTDOWN_GRACE_SECONDS, then records in-flight runs as failed and exits 0", async () => {
    target.requests.length = 0;
    // The target answers only after the test: the worker exits because it aborts the request after the grace period.
    const gate = deferred();
    target.handler = async (_req, res) => {
      await gate.promise;
      if (!res.destroyed) res.end("too late");
    };
    const tenantId = await createTenant(tdb.prisma);
    const job = await createJob(tdb.prisma, tenantId, { url: target.url, timeoutSeconds: 600 });
    const p = startMain({ DATABASE_URL: tdb.url, WORKER_ID: "proc-grace", WORKER_SHUTDOWN_GRACE_SECONDS: "1", WORKER_TASK_LOG_PATH: await tempDir() });
    await p.waitFor(/scheduler-worker proc-grace started/);
    await target.waitForRequests(1, 10_000);
    p.kill("SIGTERM");
    expect(await p.exit).toBe(0);
    gate.resolve();
    const lines = p.stdout().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.find((l) => l.msg === "waiting for in-flight runs")).toMatchObject({ in_flight: 1, grace_ms: 1000 });
    expect(lines.find((l) => l.msg === "grace period over; aborting in-flight runs")).toBeDefined();
    const run = await tdb.prisma.jobRun.findFirstOrThrow({ where: { jobId: job.id } });
    expect(run).toMatchObject({ status: "failed", errorMessage: "worker shutting down", workerId: "proc-grace" });
  });

  it("a second signal exits at once", async () => {
    target.requests.length = 0;
    const gate = deferred();
    target.handler = async (_req, res) => {
      await gate.promise;
      if (!res.destroyed) res.end("too late");
    };
    const tenantId = await createTenant(tdb.prisma);
    await createJob(tdb.prisma, tenantId, { url: target.url, timeoutSeconds: 600 });
    // An hour of grace: only the second signal can end the process during this test.
    const p = startMain({ DATABASE_URL: tdb.url, WORKER_ID: "proc-twice", WORKER_SHUTDOWN_GRACE_SECONDS: "3600", WORKER_TASK_LOG_PATH: await tempDir() });
    await p.waitFor(/scheduler-worker proc-twice started/);
    await target.waitForRequests(1, 10_000);
    p.kill("SIGTERM");
    await p.waitFor(/shutting down/);
    p.kill("SIGINT");
    expect(await p.exit).toBe(130);
    gate.resolve();
  });
});
