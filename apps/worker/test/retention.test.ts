// Retention cleanup on real Postgres: age-based deletion in batches, the per-job max_runs cap, old triggers and run
// log files; running runs and pending triggers are never deleted.
import { utimes, writeFile, readdir } from "node:fs/promises";
import { join } from "node:path";

import { createTestDatabase, type TestDatabase } from "@btick/db/testing";
import pino from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

import { createRetention, defaultRetentionOptions, type RetentionOptions } from "../src/retention.ts";
import { createJob, createTenant, tempDir } from "./helpers.ts";

let tdb: TestDatabase;
let tenantId: string;

beforeAll(async () => {
  tdb = await createTestDatabase();
  tenantId = await createTenant(tdb.prisma);
});
afterAll(async () => {
  await tdb.drop();
});
afterEach(async () => {
  await tdb.prisma.job.deleteMany();
});

function retention(options: Partial<RetentionOptions>) {
  return createRetention({
    db: tdb.prisma,
    logger: pino({ level: "silent" }),
    options: { ...defaultRetentionOptions, retentionDays: 30, taskLogPath: null, pauseMs: 0, ...options },
  });
}

/** Inserts `count` runs of a job started `daysAgo` days ago (one second apart), each with one attempt row. */
async function insertRuns(jobId: string, count: number, daysAgo: number, status = "success"): Promise<void> {
  await tdb.prisma.$executeRaw`
with runs as (
  insert into job_runs (job_id, tenant_id, scheduled_for, status, attempt_number, max_attempts, request_method,
    request_url, worker_id, lease_expires_at, started_at, finished_at)
  select ${jobId}::uuid, ${tenantId}::uuid, now() - ${daysAgo}::int * interval '1 day' - i * interval '1 second',
    ${status}::text, 1, 1, 'POST', 'http://x', 'w', now() + interval '1 hour',
    now() - ${daysAgo}::int * interval '1 day' - i * interval '1 second',
    case when ${status}::text = 'running' then null else now() - ${daysAgo}::int * interval '1 day' end
  from generate_series(1, ${count}::int) as i
  returning id, started_at
)
insert into job_run_attempts (run_id, attempt_number, outcome, started_at, finished_at, duration_ms)
select runs.id, 1, 'success', runs.started_at, runs.started_at, 0 from runs`;
}

const countRuns = (jobId: string, where = "") =>
  tdb.prisma.$queryRawUnsafe<{ n: number }[]>(`select count(*)::int as n from job_runs where job_id = $1::uuid ${where}`, jobId)
    .then((r) => r[0]?.n ?? 0);

describe("retention cleanup", () => {
  it("deletes finished runs older than the retention in batches, with their attempts, and keeps running and recent runs", async () => {
    const job = await createJob(tdb.prisma, tenantId, { url: "http://x", nextRunAt: null });
    await insertRuns(job.id, 25, 40);
    await insertRuns(job.id, 3, 40, "failed");
    await insertRuns(job.id, 2, 45, "running");
    await insertRuns(job.id, 5, 10);
    const r = await retention({ batchSize: 10 }).cleanup();
    expect(r.expiredRuns).toBe(28);
    // 28 rows in batches of 10: three statements (10, 10, 8), then one each for triggers and the per-job cap.
    expect(r.statements).toBe(5);
    expect(await countRuns(job.id)).toBe(7);
    expect(await countRuns(job.id, "and status = 'running'")).toBe(2);
    const orphans = await tdb.prisma.$queryRaw<{ n: number }[]>`
select count(*)::int as n from job_run_attempts as a where not exists (select 1 from job_runs as r where r.id = a.run_id)`;
    expect(orphans[0]?.n).toBe(0);
    expect(await tdb.prisma.jobRunAttempt.count()).toBe(7);
  });

  it("keeps everything for age when RUN_RETENTION_DAYS is 0", async () => {
    const job = await createJob(tdb.prisma, tenantId, { url: "http://x", nextRunAt: null });
    await insertRuns(job.id, 5, 400);
    const r = await retention({ retentionDays: 0 }).cleanup();
    expect(r).toMatchObject({ expiredRuns: 0, excessRuns: 0, triggers: 0 });
    expect(await countRuns(job.id)).toBe(5);
  });

  it("honours each job's max_runs: keeps the newest finished runs, never counts or deletes running ones", async () => {
    const capped = await createJob(tdb.prisma, tenantId, { url: "http://x", nextRunAt: null });
    const uncapped = await createJob(tdb.prisma, tenantId, { url: "http://x", nextRunAt: null });
    await tdb.prisma.$executeRaw`update jobs set max_runs = 3 where id = ${capped.id}::uuid`;
    await insertRuns(capped.id, 12, 1);
    await insertRuns(capped.id, 2, 5, "running");
    await insertRuns(uncapped.id, 12, 1);
    const newest = await tdb.prisma.jobRun.findMany({
      where: { jobId: capped.id, status: "success" },
      orderBy: [{ startedAt: "desc" }, { id: "desc" }],
      take: 3,
      select: { id: true },
    });
    const r = await retention({ retentionDays: 0, batchSize: 4 }).cleanup();
    expect(r.excessRuns).toBe(9);
    const left = await tdb.prisma.jobRun.findMany({ where: { jobId: capped.id }, select: { id: true, status: true } });
    expect(left.filter((x) => x.status === "running")).toHaveLength(2);
    expect(left.filter((x) => x.status !== "running").map((x) => x.id).sort()).toEqual(newest.map((x) => x.id).sort());
    expect(await countRuns(uncapped.id)).toBe(12);
  });

  it("deletes completed triggers older than the retention, never pending ones", async () => {
    const job = await createJob(tdb.prisma, tenantId, { url: "http://x", nextRunAt: null });
    await tdb.prisma.$executeRaw`
insert into manual_job_triggers (job_id, created_at, claimed_at, completed_at)
values (${job.id}::uuid, now() - interval '40 days', now() - interval '40 days', now() - interval '40 days'),
  (${job.id}::uuid, now() - interval '40 days', null, null),
  (${job.id}::uuid, now() - interval '2 days', now() - interval '2 days', now() - interval '2 days')`;
    const r = await retention({}).cleanup();
    expect(r.triggers).toBe(1);
    expect(await tdb.prisma.manualTrigger.count({ where: { jobId: job.id } })).toBe(2);
    expect(await tdb.prisma.manualTrigger.count({ where: { jobId: job.id, completedAt: null } })).toBe(1);
  });

  it("deletes run log files older than the retention", async () => {
    const dir = await tempDir();
    const old = new Date(Date.now() - 31 * 86_400_000);
    for (const name of ["old-1.log", "old-2.log", "new.log", "keep.txt"]) await writeFile(join(dir, name), "x");
    for (const name of ["old-1.log", "old-2.log", "keep.txt"]) await utimes(join(dir, name), old, old);
    const r = await retention({ taskLogPath: dir }).cleanup();
    expect(r.logFiles).toBe(2);
    expect((await readdir(dir)).sort()).toEqual(["keep.txt", "new.log"]);
  });

  it("runs in the background after start() and stops cleanly", async () => {
    const job = await createJob(tdb.prisma, tenantId, { url: "http://x", nextRunAt: null });
    await insertRuns(job.id, 3, 40);
    const bg = retention({ firstDelayMs: 0 });
    bg.start();
    for (let i = 0; i < 50 && (await countRuns(job.id)) > 0; i++) await new Promise((r) => setTimeout(r, 50));
    await bg.stop();
    expect(await countRuns(job.id)).toBe(0);
  });
});
