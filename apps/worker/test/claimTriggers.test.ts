// Manual triggers: every trigger becomes exactly one run, even when its created_at collides with another run of the
// job; several triggers of one job in one claim obey the concurrency policy among themselves.
import { describe, expect, it } from "vitest";

import { cancelledMessage, SKIPPED_RUNNING_MESSAGE } from "../src/policy.ts";
import { createJob, useTestEnv } from "./helpers.ts";

const env = useTestEnv();

/** Inserts `n` triggers for the job in one statement: they share created_at (one transaction's now()). */
async function simultaneousTriggers(jobId: string, n: number): Promise<string[]> {
  const rows = await env.db.$queryRaw<{ id: string }[]>`
insert into manual_job_triggers (job_id) select ${jobId}::uuid from generate_series(1, ${n}::int) returning id`;
  return rows.map((r) => r.id);
}

const manualRuns = (jobId: string) =>
  env.db.jobRun.findMany({ where: { jobId, triggerType: "manual" }, orderBy: { scheduledFor: "asc" } });

describe("manual triggers", () => {
  it("two triggers created in the same transaction (same created_at) both become runs", async () => {
    const job = await createJob(env.db, env.tenantId, { url: env.target.url, nextRunAt: null });
    await env.db.job.update({ where: { id: job.id }, data: { concurrencyPolicy: "allow" } });
    const ids = await simultaneousTriggers(job.id, 2);
    const worker = await env.makeWorker();
    expect(await worker.runOnce()).toHaveLength(2);
    const runs = await manualRuns(job.id);
    expect(runs.map((r) => r.triggerId).sort()).toEqual([...ids].sort());
    expect(runs.every((r) => r.status === "success")).toBe(true);
    expect(env.target.requests).toHaveLength(2);
    const triggers = await env.db.manualTrigger.findMany({ where: { jobId: job.id } });
    expect(triggers.every((t) => t.completedAt !== null)).toBe(true);
  });

  it("a trigger created exactly at a recorded slot still gets its own run", async () => {
    const slot = new Date(Math.floor(Date.now() / 1000) * 1000 - 5000);
    const job = await createJob(env.db, env.tenantId, { url: env.target.url, cronExpression: "* * * * * *", nextRunAt: slot });
    await env.db.job.update({ where: { id: job.id }, data: { concurrencyPolicy: "allow" } });
    const worker = await env.makeWorker();
    await worker.runOnce();
    await env.db.job.update({ where: { id: job.id }, data: { enabled: false, nextRunAt: null } });
    const trigger = await env.db.manualTrigger.create({ data: { jobId: job.id, createdAt: slot } });
    expect(await worker.runOnce()).toEqual([{ status: "success", attempts: 1, recorded: true }]);
    const run = await env.db.jobRun.findFirstOrThrow({ where: { triggerId: trigger.id } });
    expect(run).toMatchObject({ triggerType: "manual", status: "success" });
    expect(run.scheduledFor.getTime() - slot.getTime()).toBeLessThan(1);
  });

  it("replace: of two triggers in one claim only the newest runs; the older is recorded cancelled, never sent", async () => {
    const job = await createJob(env.db, env.tenantId, { url: env.target.url, nextRunAt: null });
    await env.db.job.update({ where: { id: job.id }, data: { concurrencyPolicy: "replace" } });
    const older = await env.db.manualTrigger.create({ data: { jobId: job.id, createdAt: new Date(Date.now() - 2000) } });
    const newer = await env.db.manualTrigger.create({ data: { jobId: job.id, createdAt: new Date(Date.now() - 1000) } });
    const worker = await env.makeWorker();
    expect(await worker.runOnce()).toEqual([{ status: "success", attempts: 1, recorded: true }]);
    const runs = await manualRuns(job.id);
    expect(runs.map((r) => [r.triggerId, r.status])).toEqual([
      [older.id, "cancelled"],
      [newer.id, "success"],
    ]);
    expect(runs[0]?.errorMessage).toBe(cancelledMessage(newer.createdAt));
    expect(runs[0]?.finishedAt).not.toBeNull();
    expect(env.target.requests.map((r) => r.headers["x-btick-run-id"])).toEqual([runs[1]?.id]);
  });

  it("forbid: of two triggers in one claim the first runs and the second is skipped", async () => {
    const job = await createJob(env.db, env.tenantId, { url: env.target.url, nextRunAt: null });
    await simultaneousTriggers(job.id, 2);
    const worker = await env.makeWorker();
    expect(await worker.runOnce()).toHaveLength(1);
    const statuses = (await manualRuns(job.id)).map((r) => [r.status, r.errorMessage]);
    expect(statuses.sort()).toEqual([
      ["skipped", SKIPPED_RUNNING_MESSAGE],
      ["success", null],
    ]);
  });
});
