// Job state changes racing each other. A second connection holds a row lock on the job inside an open transaction
// (what a concurrent PATCH, pause or resume does while it writes); the operation under test is started, the test
// waits until it is either finished or blocked on that lock, then the other transaction commits. Afterwards the job
// must satisfy the schedule invariant: enabled ⇔ next_run_at is set, and next_run_at is a slot of the job's current
// cron expression and timezone, no later than the first slot after now.
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createPrismaClient, type Db } from "@btick/db";
import { createTestDatabase, type TestDatabase } from "@btick/db/testing";
import { nextRunAfter } from "@btick/scheduling";

import { createTenantWithKey, type TestPrincipal } from "../src/testing.ts";
import { callerFor, validJob } from "./helpers.ts";

let db: TestDatabase;
let other: Db;
let owner: TestPrincipal;
let api: Awaited<ReturnType<typeof callerFor>>;

beforeAll(async () => {
  db = await createTestDatabase();
  other = createPrismaClient({ connectionString: db.url, max: 2 });
  owner = await createTenantWithKey(db.prisma);
  api = await callerFor(db.prisma, owner.rawKey);
});
afterAll(async () => {
  await other.$disconnect();
  await db.drop();
});

type Tx = Parameters<Parameters<Db["$transaction"]>[0]>[0];

/** Runs `work` in a transaction on the second connection and keeps it open (locks held) until `commit()`. */
async function holdOpen(work: (tx: Tx) => Promise<unknown>): Promise<{ commit(): Promise<void> }> {
  let release = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  let started = () => {};
  const ready = new Promise<void>((resolve) => (started = resolve));
  const done = other.$transaction(
    async (tx) => {
      await work(tx);
      started();
      await gate;
    },
    { maxWait: 10_000, timeout: 60_000 },
  );
  await Promise.race([ready, done]);
  return {
    async commit() {
      release();
      await done;
    },
  };
}

/** Resolves once `op` has settled or some session of this database waits for a lock (polling pg_stat_activity). */
async function settledOrBlocked(op: Promise<unknown>): Promise<void> {
  let settled = false;
  op.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let i = 0; i < 2000 && !settled; i++) {
    const rows = await db.prisma.$queryRaw<{ waiting: number }[]>`
select count(*)::int as waiting from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`;
    if ((rows[0]?.waiting ?? 0) > 0) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  if (!settled) throw new Error("the operation neither finished nor blocked on a lock");
}

interface ScheduleRow {
  enabled: boolean;
  next_run_at: Date | null;
  cron_expression: string;
  timezone: string;
  name: string;
  db_now: Date;
}

async function row(jobId: string): Promise<ScheduleRow> {
  const rows = await db.prisma.$queryRaw<ScheduleRow[]>`
select enabled, next_run_at, cron_expression, timezone, name, now() as db_now from jobs where id = ${jobId}::uuid`;
  if (!rows[0]) throw new Error("job row missing");
  return rows[0];
}

/** enabled ⇔ next_run_at set; next_run_at is a slot of the current schedule, not past the first one after now. */
async function expectConsistentSchedule(jobId: string): Promise<ScheduleRow> {
  const r = await row(jobId);
  if (!r.enabled) {
    expect(r.next_run_at, "a paused job has no next_run_at").toBeNull();
    return r;
  }
  expect(r.next_run_at, "an enabled job has a next_run_at").not.toBeNull();
  const next = r.next_run_at as Date;
  expect(nextRunAfter(r.cron_expression, r.timezone, new Date(next.getTime() - 1)).toISOString(), "next_run_at is a slot of the current cron").toBe(
    next.toISOString(),
  );
  const firstAfterNow = nextRunAfter(r.cron_expression, r.timezone, r.db_now);
  expect(next.getTime(), `next_run_at ${next.toISOString()} is no later than ${firstAfterNow.toISOString()}`).toBeLessThanOrEqual(firstAfterNow.getTime());
  return r;
}

const YEARLY = "0 0 1 1 *";
const EVERY_MINUTE = "* * * * *";

describe("job state changes racing a concurrent write", () => {
  it("resume waiting on an uncommitted cron change computes next_run_at from the new cron", async () => {
    const { job } = await api.jobs.create({ ...validJob, cron_expression: YEARLY, enabled: false });
    // A PATCH of the cron on the paused job, not yet committed.
    const patch = await holdOpen((tx) => tx.$executeRaw`update jobs set cron_expression = ${EVERY_MINUTE} where id = ${job.id}::uuid`);
    const resume = api.jobs.resume({ jobId: job.id });
    await settledOrBlocked(resume);
    await patch.commit();
    const { job: resumed } = await resume;

    const r = await expectConsistentSchedule(job.id);
    expect(r).toMatchObject({ enabled: true, cron_expression: EVERY_MINUTE });
    expect(resumed).toMatchObject({ enabled: true, cron_expression: EVERY_MINUTE, next_run_at: r.next_run_at?.toISOString() });
  });

  it("a PATCH {name, enabled: true} waiting on an uncommitted pause resumes the job with a computed next_run_at", async () => {
    const { job } = await api.jobs.create({ ...validJob, cron_expression: YEARLY });
    const pause = await holdOpen((tx) => tx.$executeRaw`update jobs set enabled = false, next_run_at = null where id = ${job.id}::uuid`);
    const patch = api.jobs.update({ jobId: job.id, name: "renamed", enabled: true });
    await settledOrBlocked(patch);
    await pause.commit();
    const { job: patched } = await patch;

    // The PATCH came after the pause, so its enabled: true wins, with a schedule to go with it.
    const r = await expectConsistentSchedule(job.id);
    expect(r).toMatchObject({ enabled: true, name: "renamed" });
    expect(patched).toMatchObject({ enabled: true, name: "renamed", next_run_at: r.next_run_at?.toISOString() });
  });

  it("a cron PATCH waiting on an uncommitted pause leaves the job paused without a next_run_at", async () => {
    const { job } = await api.jobs.create({ ...validJob, cron_expression: YEARLY });
    const pause = await holdOpen((tx) => tx.$executeRaw`update jobs set enabled = false, next_run_at = null where id = ${job.id}::uuid`);
    const patch = api.jobs.update({ jobId: job.id, cron_expression: EVERY_MINUTE });
    await settledOrBlocked(patch);
    await pause.commit();
    const { job: patched } = await patch;

    const r = await expectConsistentSchedule(job.id);
    expect(r).toMatchObject({ enabled: false, next_run_at: null, cron_expression: EVERY_MINUTE });
    expect(patched).toMatchObject({ enabled: false, next_run_at: null, cron_expression: EVERY_MINUTE });
  });

  it("a timezone PATCH waiting on an uncommitted cron change schedules by both", async () => {
    const { job } = await api.jobs.create({ ...validJob, cron_expression: YEARLY });
    const cron = await holdOpen((tx) => tx.$executeRaw`update jobs set cron_expression = ${"0 9 * * *"} where id = ${job.id}::uuid`);
    const patch = api.jobs.update({ jobId: job.id, timezone: "Asia/Tokyo" });
    await settledOrBlocked(patch);
    await cron.commit();
    await patch;

    const r = await expectConsistentSchedule(job.id);
    expect(r).toMatchObject({ enabled: true, cron_expression: "0 9 * * *", timezone: "Asia/Tokyo" });
  });

  it("pause waiting on an uncommitted resume ends paused", async () => {
    const { job } = await api.jobs.create({ ...validJob, cron_expression: EVERY_MINUTE, enabled: false });
    const next = nextRunAfter(EVERY_MINUTE, "UTC", new Date());
    const resume = await holdOpen((tx) => tx.$executeRaw`update jobs set enabled = true, next_run_at = ${next} where id = ${job.id}::uuid`);
    const pause = api.jobs.pause({ jobId: job.id });
    await settledOrBlocked(pause);
    await resume.commit();
    const { job: paused } = await pause;

    const r = await expectConsistentSchedule(job.id);
    expect(r).toMatchObject({ enabled: false, next_run_at: null });
    expect(paused).toMatchObject({ enabled: false, next_run_at: null });
  });
});
