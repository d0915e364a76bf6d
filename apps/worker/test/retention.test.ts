// Retention cleanup on real Postgres: age-based deletion in batches, the per-job max_runs cap, old triggers and run
// log files; running runs and pending triggers are never deleted.
import { utimes, writeFile, readdir } from "node:fs/promises";
import { join } from "node:path";

import { Prisma } from "@btick/db";
import { createTestDatabase, type TestDatabase } from "@btick/db/testing";
import pino from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

import { createRetention, defaultRetentionOptions, type RetentionOptions } from "../src/retention.ts";
import { deleteExcessRunsSql, excessBoundaries } from "../src/sql/deleteExcessRuns.ts";
import { deleteExpiredRunsSql } from "../src/sql/deleteExpiredRuns.ts";
import { deleteOldTriggersSql } from "../src/sql/deleteOldTriggers.ts";
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

describe("retention on a realistic mix", () => {
  it("deletes exactly the expired runs, the runs beyond each job's cap and the old completed triggers", async () => {
    // 12 jobs, 4 of them capped; each with old and recent runs of every status (a run every 7 hours over 40 days), some
    // from manual triggers; triggers completed long ago, recently, and pending.
    const jobs = [];
    for (let i = 0; i < 12; i++) jobs.push(await createJob(tdb.prisma, tenantId, { url: "http://x", nextRunAt: null }));
    const caps = new Map([jobs[0], jobs[1], jobs[2], jobs[3]].map((j, i) => [j?.id as string, [3, 10, 50, 1000][i] as number]));
    for (const [id, max] of caps) await tdb.prisma.job.update({ where: { id }, data: { maxRuns: max } });
    const statuses = ["success", "failed", "skipped", "cancelled", "lost", "blocked_by_policy", "success", "running"];
    await tdb.prisma.$executeRaw`
insert into job_runs (job_id, tenant_id, scheduled_for, status, attempt_number, max_attempts, request_method,
  request_url, worker_id, lease_expires_at, started_at, finished_at, trigger_type)
select jobs.id, ${tenantId}::uuid, now() - k * interval '7 hours', (${statuses}::text[])[1 + (k + n::int) % 8], 1, 1, 'POST',
  'http://x', 'w', now() + interval '1 hour', now() - k * interval '7 hours',
  case when (${statuses}::text[])[1 + (k + n::int) % 8] = 'running' then null else now() - k * interval '7 hours' end,
  case when k % 10 = 0 then 'manual' else 'scheduled' end
from unnest(${jobs.map((j) => j.id)}::uuid[]) with ordinality as jobs(id, n)
cross join generate_series(0, 137) as k`;
    // Every manual run has its trigger, completed when the run started; and each job has pending triggers.
    await tdb.prisma.$executeRaw`
with triggers as (
  insert into manual_job_triggers (job_id, created_at, claimed_at, completed_at, triggered_by)
  select runs.job_id, runs.started_at, runs.started_at, runs.started_at, runs.id::text
  from job_runs as runs where runs.trigger_type = 'manual'
  returning id, triggered_by
)
update job_runs as runs set trigger_id = triggers.id from triggers where runs.id::text = triggers.triggered_by`;
    await tdb.prisma.$executeRaw`
insert into manual_job_triggers (job_id, created_at)
select jobs.id, now() - k * interval '5 days' from unnest(${jobs.map((j) => j.id)}::uuid[]) as jobs(id), generate_series(0, 8) as k`;
    await tdb.prisma.$executeRaw`
insert into job_run_attempts (run_id, attempt_number, outcome, started_at, finished_at, duration_ms)
select runs.id, 1, 'success', runs.started_at, runs.started_at, 0 from job_runs as runs`;

    const before = await tdb.prisma.jobRun.findMany({ select: { id: true, jobId: true, status: true, startedAt: true, triggerId: true } });
    const triggersBefore = await tdb.prisma.manualTrigger.findMany({ select: { id: true, completedAt: true } });
    const cutoff = Date.now() - 30 * 86_400_000;
    // Expected, computed here: age first (finished and started before the cutoff), then per capped job the newest
    // max_runs of the remaining finished runs (started_at desc, id desc); running runs always stay.
    const survivors = before.filter((r) => r.status === "running" || r.startedAt.getTime() >= cutoff);
    const kept = new Set(survivors.filter((r) => r.status === "running").map((r) => r.id));
    for (const job of jobs) {
      const finished = survivors
        .filter((r) => r.jobId === job.id && r.status !== "running")
        .sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime() || (a.id < b.id ? 1 : -1));
      const max = caps.get(job.id);
      for (const r of max === undefined ? finished : finished.slice(0, max)) kept.add(r.id);
    }
    const keptTriggers = new Set(triggersBefore.filter((t) => t.completedAt === null || t.completedAt.getTime() >= cutoff).map((t) => t.id));
    // Nothing sits within a minute of the cutoff, so the test's clock and the database's cannot disagree.
    expect(before.some((r) => Math.abs(r.startedAt.getTime() - cutoff) < 60_000)).toBe(false);

    const result = await retention({ batchSize: 7 }).cleanup();

    const after = await tdb.prisma.jobRun.findMany({ select: { id: true, triggerId: true } });
    expect(new Set(after.map((r) => r.id))).toEqual(kept);
    expect(result.expiredRuns + result.excessRuns).toBe(before.length - kept.size);
    expect(result.excessRuns).toBeGreaterThan(0);
    const triggersAfter = await tdb.prisma.manualTrigger.findMany({ select: { id: true } });
    expect(new Set(triggersAfter.map((t) => t.id))).toEqual(keptTriggers);
    expect(result.triggers).toBe(triggersBefore.length - keptTriggers.size);
    // Kept runs of deleted triggers lost only the link; every attempt left belongs to a kept run.
    for (const r of after) if (r.triggerId !== null) expect(keptTriggers.has(r.triggerId)).toBe(true);
    expect(await tdb.prisma.jobRunAttempt.count()).toBe(kept.size);
  });
});

interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Index Name"?: string;
  "Actual Rows": number;
  "Actual Loops": number;
  "Rows Removed by Filter"?: number;
  Plans?: PlanNode[];
}

/** Runs EXPLAIN ANALYZE on a delete in a transaction that is rolled back; returns every node of the plan. */
async function explainNodes(sql: Prisma.Sql): Promise<PlanNode[]> {
  let plan: PlanNode | undefined;
  await tdb.prisma
    .$transaction(async (tx) => {
      const rows = await tx.$queryRaw<{ "QUERY PLAN": [{ Plan: PlanNode }] }[]>(Prisma.sql`explain (analyze, format json) ${sql}`);
      plan = rows[0]?.["QUERY PLAN"][0].Plan;
      throw new Error("rollback");
    })
    .catch((err: unknown) => {
      if (!(err instanceof Error) || err.message !== "rollback") throw err;
    });
  const nodes: PlanNode[] = [];
  const walk = (n: PlanNode) => {
    nodes.push(n);
    for (const c of n.Plans ?? []) walk(c);
  };
  if (plan) walk(plan);
  return nodes;
}

/** Rows the scans of a plan visited (returned or filtered out, per loop), plus one per loop: the work of a batch. */
const scanWork = (nodes: PlanNode[]) =>
  nodes
    .filter((n) => n["Node Type"].includes("Scan") && n["Node Type"] !== "Function Scan")
    .reduce((sum, n) => sum + (n["Actual Rows"] + (n["Rows Removed by Filter"] ?? 0) + 1) * n["Actual Loops"], 0);

describe("retention batches at scale", () => {
  it("each statement works through about one batch of rows, through indexes, however large the tables", async () => {
    // 2000 jobs with recent runs and a trigger each, and one capped job with a long history.
    const big = await createJob(tdb.prisma, tenantId, { url: "http://x", nextRunAt: null });
    await tdb.prisma.job.update({ where: { id: big.id }, data: { maxRuns: 9500 } });
    await insertRuns(big.id, 10_000, 1);
    await tdb.prisma.$executeRaw`
with jobs as (
  insert into jobs (tenant_id, name, method, url, cron_expression)
  select ${tenantId}::uuid, 'j' || i, 'POST', 'http://x', '* * * * *' from generate_series(1, 2000) as i
  returning id
), runs as (
  insert into job_runs (job_id, tenant_id, scheduled_for, status, max_attempts, request_method, request_url, started_at, finished_at)
  select jobs.id, ${tenantId}::uuid, now() - k * interval '1 hour', 'success', 1, 'POST', 'http://x', now() - k * interval '1 hour', now()
  from jobs, generate_series(1, 3) as k
  returning job_id
)
insert into manual_job_triggers (job_id, created_at, claimed_at, completed_at)
select distinct on (runs.job_id) runs.job_id, now() - interval '1 day', now() - interval '1 day', now() - interval '1 day' from runs`;
    await tdb.prisma.$executeRaw`analyze`;
    const limit = 100;

    // Nothing expired: one index probe, not one per job.
    expect(scanWork(await explainNodes(deleteExpiredRunsSql({ days: 30, limit })))).toBeLessThanOrEqual(5);
    // Expired runs: a batch reads its own rows (here everything is 1 day old: a 0-day retention expires it all).
    expect(scanWork(await explainNodes(deleteExpiredRunsSql({ days: 0, limit })))).toBeLessThanOrEqual(5 * limit);
    // Old triggers: through the completed_at index, not a scan of the table.
    const triggerNodes = await explainNodes(deleteOldTriggersSql({ days: 0, limit }));
    expect(triggerNodes.some((n) => n["Node Type"] === "Seq Scan")).toBe(false);
    expect(scanWork(triggerNodes)).toBeLessThanOrEqual(5 * limit);
    // The capped job: its boundary is found once; a delete batch then reads below the boundary only (the 500 runs
    // beyond the cap; the planner may read them all, or just a batch in index order), never the 9500 runs it keeps.
    const boundaries = await excessBoundaries(tdb.prisma, [{ id: big.id, maxRuns: 9500 }]);
    expect(boundaries).toHaveLength(1);
    expect(scanWork(await explainNodes(deleteExcessRunsSql({ boundaries, limit })))).toBeLessThanOrEqual(4 * 500 + 5 * limit);
  });
});
