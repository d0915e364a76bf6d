// Several workers on the same database never execute a slot twice.
import { createPrismaClient, type Db } from "@btick/db";
import { createTestDatabase, type TestDatabase } from "@btick/db/testing";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createJob, createTenant, makeWorker, sleep, startTarget, type Target } from "./helpers.ts";

let tdb: TestDatabase;
let target: Target;
let tenantId: string;
const clients: Db[] = [];

beforeAll(async () => {
  tdb = await createTestDatabase();
  target = await startTarget();
  tenantId = await createTenant(tdb.prisma);
  for (let i = 0; i < 3; i++) clients.push(createPrismaClient({ connectionString: tdb.url, max: 4 }));
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.$disconnect()));
  await target.close();
  await tdb.drop();
});

describe("racing workers", () => {
  it("split a batch of due jobs without executing any twice", async () => {
    target.handler = async (_req, res) => {
      await sleep(5);
      res.end("ok");
    };
    const jobs = [];
    for (let i = 0; i < 60; i++) jobs.push(await createJob(tdb.prisma, tenantId, { url: target.url }));
    const workers = await Promise.all(clients.map((db) => makeWorker(db, { concurrency: 8, maxClaimsPerTick: 5 })));
    const results = await Promise.all(workers.map((w) => w.runOnce()));
    expect(results.flat()).toHaveLength(60);
    expect(target.requests).toHaveLength(60);
    const seen = new Set(target.requests.map((r) => r.headers["x-btick-job-id"]));
    expect(seen.size).toBe(60);
    const runs = await tdb.prisma.jobRun.groupBy({ by: ["workerId"], _count: true });
    expect(runs.reduce((n, r) => n + r._count, 0)).toBe(60);
    expect(await tdb.prisma.jobRun.count({ where: { status: "success" } })).toBe(60);
    await Promise.all(workers.map((w) => w.stop()));
    await tdb.prisma.job.deleteMany();
    target.requests.length = 0;
  });

  it("skips a job row another transaction holds (skip locked) instead of waiting or double-claiming it", async () => {
    target.handler = (_req, res) => void res.end("ok");
    const locked = await createJob(tdb.prisma, tenantId, { url: `${target.url}/locked` });
    await createJob(tdb.prisma, tenantId, { url: `${target.url}/free` });
    const holder = new pg.Client({ connectionString: tdb.url });
    await holder.connect();
    try {
      await holder.query("begin");
      await holder.query("select id from jobs where id = $1 for update", [locked.id]);
      const worker = await makeWorker(clients[0] as Db);
      // Were the claim waiting for the lock, this would never return: the holder lets go only afterwards.
      expect(await worker.runOnce()).toHaveLength(1);
      expect(target.requests.map((r) => r.url)).toEqual(["/free"]);
      await holder.query("rollback");
      // Once released, the skipped job is claimed normally.
      expect(await worker.runOnce()).toHaveLength(1);
      expect(target.requests.map((r) => r.url)).toEqual(["/free", "/locked"]);
      await worker.stop();
    } finally {
      await holder.end();
      await tdb.prisma.job.deleteMany();
      target.requests.length = 0;
    }
  });

  it("in continuous mode on a per-second schedule, each (job, slot) is executed exactly once", async () => {
    target.handler = (_req, res) => void res.end("ok");
    for (let i = 0; i < 20; i++) {
      await createJob(tdb.prisma, tenantId, { url: target.url, cronExpression: "* * * * * *", nextRunAt: new Date(Date.now() + 200) });
    }
    const workers = await Promise.all(clients.map((db) => makeWorker(db, { concurrency: 4, pollIntervalMs: 100, maxClaimsPerTick: 3 })));
    await Promise.all(workers.map((w) => w.start()));
    await sleep(3200);
    // Pause everything, then let in-flight runs finish.
    await tdb.prisma.job.updateMany({ data: { enabled: false, nextRunAt: null } });
    await Promise.all(workers.map((w) => w.stop()));

    const keys = target.requests.map((r) => `${String(r.headers["x-btick-job-id"])}@${String(r.headers["x-btick-scheduled-for"])}`);
    expect(keys.length).toBeGreaterThanOrEqual(40);
    expect(new Set(keys).size).toBe(keys.length);
    const runs = await tdb.prisma.jobRun.findMany();
    expect(runs).toHaveLength(keys.length);
    expect(runs.every((r) => r.status === "success")).toBe(true);
    // After each job's first (off-second) slot, slots are whole seconds computed from the cron.
    const byJob = new Map<string, Date[]>();
    for (const r of runs) byJob.set(r.jobId, [...(byJob.get(r.jobId) ?? []), r.scheduledFor]);
    for (const slots of byJob.values()) {
      slots.sort((a, b) => a.getTime() - b.getTime());
      expect(slots.slice(1).every((d) => d.getMilliseconds() === 0)).toBe(true);
    }
    const workerIds = new Set(runs.map((r) => r.workerId));
    expect(workerIds.size).toBeGreaterThan(1);
  });
});
