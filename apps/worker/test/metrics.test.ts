// The worker's metrics server: /healthz, /readyz (DB + recent claim-loop tick) and /metrics in the Prometheus text
// format, scraped and parsed, with values that move as runs happen.
import { createTestDatabase, type TestDatabase } from "@btick/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createWorkerMetrics, type WorkerMetrics } from "../src/metrics.ts";
import { readiness, startMetricsServer, type MetricsServer } from "../src/metricsServer.ts";
import type { Worker } from "../src/worker.ts";
import { createJob, createTenant, makeWorker, sleep, startTarget, type Target } from "./helpers.ts";

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text exposition format (the subset prom-client writes). */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/.exec(line);
    if (!m) throw new Error(`unparseable exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1] as string] = l[2] as string;
    samples.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  return samples;
}

const value = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);

let tdb: TestDatabase;
let target: Target;
let tenantId: string;
let metrics: WorkerMetrics;
let worker: Worker;
let server: MetricsServer;
let base: string;

beforeAll(async () => {
  tdb = await createTestDatabase();
  target = await startTarget();
  tenantId = await createTenant(tdb.prisma);
  metrics = createWorkerMetrics();
  worker = await makeWorker(tdb.prisma, { pollIntervalMs: 100 }, { metrics });
  server = await startMetricsServer({
    metrics,
    db: tdb.prisma,
    lastTickAt: () => worker.lastTickAt,
    pollIntervalMs: 100,
    host: "127.0.0.1",
    port: 0,
  });
  base = `http://127.0.0.1:${server.port}`;
});
afterAll(async () => {
  await worker.stop();
  await server.close();
  await target.close();
  await tdb.drop();
});

const scrape = async () => {
  const res = await fetch(`${base}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(await res.text());
};

describe("worker metrics server", () => {
  it("is live at once and ready only once the claim loop has ticked", async () => {
    const live = await fetch(`${base}/healthz`);
    expect([live.status, await live.text()]).toEqual([200, "ok"]);
    const notReady = await fetch(`${base}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.text()).toMatch(/not ready: the claim loop has not run yet/);
    await worker.start();
    let ready = await fetch(`${base}/readyz`);
    for (let i = 0; i < 100 && ready.status !== 200; i++) {
      await sleep(50);
      ready = await fetch(`${base}/readyz`);
    }
    expect([ready.status, await ready.text()]).toEqual([200, "ready"]);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });

  it("exposes run, attempt, lag, claim and in-flight metrics that move with the work", async () => {
    const before = await scrape();
    expect(value(before, "btick_worker_runs_total")).toBe(0);
    expect(value(before, "btick_worker_runs_in_flight")).toBe(0);
    expect(value(before, "process_cpu_user_seconds_total")).toBeGreaterThan(0);

    target.handler = async (_req, res) => {
      await sleep(300);
      res.end("ok");
    };
    await createJob(tdb.prisma, tenantId, { url: target.url });
    await createJob(tdb.prisma, tenantId, { url: target.url, retryMax: 1, method: "GET" });
    worker.wake();
    await target.waitForRequests(2);
    expect(value(await scrape(), "btick_worker_runs_in_flight")).toBe(2);
    const settled = async () => {
      const s = await scrape();
      return value(s, "btick_worker_runs_total") >= 2 && value(s, "btick_worker_runs_in_flight") === 0;
    };
    for (let i = 0; i < 100 && !(await settled()); i++) await sleep(100);

    const after = await scrape();
    expect(value(after, "btick_worker_runs_total", { status: "success", trigger_type: "scheduled" })).toBe(2);
    expect(value(after, "btick_worker_runs_in_flight")).toBe(0);
    expect(value(after, "btick_worker_attempt_duration_seconds_count", { outcome: "success" })).toBe(2);
    expect(value(after, "btick_worker_attempt_duration_seconds_sum", { outcome: "success" })).toBeGreaterThanOrEqual(0.5);
    expect(value(after, "btick_worker_schedule_lag_seconds_count", { trigger_type: "scheduled" })).toBe(2);
    expect(value(after, "btick_worker_schedule_lag_seconds_sum")).toBeGreaterThan(0);
    expect(value(after, "btick_worker_claim_batch_size_count")).toBeGreaterThan(value(before, "btick_worker_claim_batch_size_count"));
    expect(value(after, "btick_worker_claim_batch_size_sum")).toBe(2);
  });

  it("counts leases recovered by the sweeper", async () => {
    const job = await createJob(tdb.prisma, tenantId, { url: target.url, enabled: false, nextRunAt: null });
    await tdb.prisma.jobRun.create({
      data: {
        jobId: job.id,
        tenantId,
        scheduledFor: new Date(Date.now() - 60_000),
        status: "running",
        maxAttempts: 1,
        requestMethod: "POST",
        requestUrl: target.url,
        workerId: "dead-worker",
        leaseExpiresAt: new Date(Date.now() - 1000),
      },
    });
    expect(await worker.recoverLost()).toHaveLength(1);
    expect(value(await scrape(), "btick_worker_leases_recovered_total")).toBe(1);
  });

  it("reports not ready when the loop stalls or the database is unreachable", async () => {
    const args = { metrics, db: tdb.prisma, pollIntervalMs: 100 };
    expect(await readiness({ ...args, lastTickAt: () => Date.now() - 1000 })).toMatchObject({ ready: false, reason: expect.stringMatching(/has not ticked/) });
    const broken = { $queryRaw: () => Promise.reject(new Error("down")) } as unknown as TestDatabase["prisma"];
    expect(await readiness({ ...args, db: broken, lastTickAt: () => Date.now() })).toEqual({ ready: false, reason: "database unreachable" });
  });
});
