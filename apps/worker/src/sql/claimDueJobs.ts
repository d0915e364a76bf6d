import type { Db } from "@btick/db";
import { nextRunAfter } from "@btick/scheduling";

import { observed, type DbClock } from "../dbClock.ts";
import { applyConcurrency, cancelledMessage, planScheduledSlots, type SlotPlan } from "../policy.ts";
import type { ClaimedRun } from "../types.ts";
import { writeClaim, type PlannedRun } from "./claimWrites.ts";
import { LOST_RUN_MESSAGE } from "./recoverLostRuns.ts";
import { sealedSecrets } from "./sealedSecrets.ts";

interface DueJobRow {
  id: string;
  tenant_id: string;
  method: string;
  url: string;
  headers: Record<string, string> | null;
  body: unknown;
  cron_expression: string;
  timezone: string;
  retry_max: number;
  timeout_seconds: number;
  concurrency_policy: string;
  misfire_policy: string;
  misfire_catch_up_max: number;
  next_run_at: Date;
  /** clock_timestamp() when the row was read: planning's "now", and a sample for the worker's DbClock. */
  db_now: Date;
  secret_headers: Record<string, string> | null;
  signing_secret: string | null;
  signing_secret_previous: string | null;
  signing_secret_previous_expires_at: Date | null;
  /** A run of the job is in progress (a `running` run with a live lease; expired ones were just marked lost). */
  has_running: boolean;
}

export interface ClaimCounts {
  /** Rows recorded as `skipped` (concurrency forbid or misfire skip). */
  skipped: number;
  /** Running runs marked `cancelled` (concurrency replace). */
  cancelled: number;
}

/**
 * Claims due jobs in one transaction (database clock only) for at most `limit` runs to execute: locks up to `limit`
 * due jobs with skip locked, oldest slot first, applies each job's misfire and concurrency policy (src/policy.ts), and
 * takes jobs while their runs fit in `limit` (the first job always, even when its catch-up brings more: the worker
 * queues those); the jobs that do not fit are left as they were, due, for the next claim. For each job taken it
 * inserts one run row per handled slot — `running`, or `skipped` (finished at once) — with the unique
 * (job_id, scheduled_for) dropping a slot already recorded, cancels replaced runs, and advances next_run_at. A job
 * whose next slot cannot be computed gets next_run_at = null (it stops firing; `onScheduleError` is told why).
 * Returns the runs to execute, oldest slot first.
 */
export async function claimDueJobs(
  db: Db,
  args: {
    workerId: string;
    limit: number;
    leaseMs: number;
    /** Lateness beyond which a slot has misfired (default DEFAULT_MISFIRE_THRESHOLD_MS). */
    misfireThresholdMs?: number;
    onScheduleError?: (jobId: string, err: unknown) => void;
    onPolicy?: (counts: ClaimCounts) => void;
    /** Fed with the database time read by the claim. */
    clock?: DbClock;
  },
): Promise<ClaimedRun[]> {
  if (args.limit <= 0) return [];
  return db.$transaction(async (tx) => {
    // One statement: lock the due jobs, mark their runs whose lease expired lost (their worker is gone: they are not in
    // progress, and neither block nor get replaced), and tell which jobs still have a run in progress.
    const due = await observed(args.clock, () => tx.$queryRaw<DueJobRow[]>`
with due as (
  select jobs.id, jobs.tenant_id, jobs.method, jobs.url, jobs.headers, jobs.body, jobs.cron_expression, jobs.timezone,
    jobs.retry_max, jobs.timeout_seconds, jobs.concurrency_policy, jobs.misfire_policy, jobs.misfire_catch_up_max,
    jobs.next_run_at, jobs.secret_headers, jobs.signing_secret, jobs.signing_secret_previous,
    jobs.signing_secret_previous_expires_at
  from jobs as jobs
  where jobs.enabled = true and jobs.next_run_at <= now()
  order by jobs.next_run_at asc
  limit ${args.limit}::int
  for update skip locked
), expired as (
  update job_runs as runs
  set status = 'lost', finished_at = now(), error_message = ${LOST_RUN_MESSAGE}::text,
    duration_ms = greatest(0, round(extract(epoch from (now() - runs.started_at)) * 1000))::int
  where runs.job_id in (select due.id from due) and runs.status = 'running' and runs.lease_expires_at < now()
  returning runs.id
), busy as (
  select distinct runs.job_id
  from job_runs as runs
  where runs.job_id in (select due.id from due) and runs.status = 'running' and runs.lease_expires_at >= now()
    and runs.id not in (select expired.id from expired)
)
select due.*, clock_timestamp() as db_now, exists (select 1 from busy where busy.job_id = due.id) as has_running
from due
order by due.next_run_at asc`, (rows) => rows[0]?.db_now);
    if (due.length === 0) return [];

    // Jobs that share a schedule (the same cron and time zone) and a slot share their next slots: computed once.
    const slotsAfter = new Map<string, Date>();
    const nextSlot = (cron: string, timezone: string, after: Date): Date => {
      const key = `${timezone}|${after.getTime()}|${cron}`;
      let next = slotsAfter.get(key);
      if (!next) slotsAfter.set(key, (next = nextRunAfter(cron, timezone, after)));
      return next;
    };
    const planned: PlannedRun[] = [];
    const cancel: { jobId: string; message: string }[] = [];
    const advance: { jobId: string; next: Date | null }[] = [];
    let toExecute = 0;
    for (const job of due) {
      let plan: SlotPlan;
      try {
        plan = planScheduledSlots({
          cron: job.cron_expression,
          timezone: job.timezone,
          slot: job.next_run_at,
          now: job.db_now,
          misfirePolicy: job.misfire_policy,
          catchUpMax: job.misfire_catch_up_max,
          thresholdMs: args.misfireThresholdMs,
        }, (after) => nextSlot(job.cron_expression, job.timezone, after));
      } catch (err) {
        args.onScheduleError?.(job.id, err);
        // The slot that came due still runs once; the job then stops being scheduled.
        plan = { slots: [{ at: job.next_run_at, skippedBecause: null }], next: null };
      }
      const decided = applyConcurrency(job.concurrency_policy, job.has_running, plan.slots);
      const executes = decided.slots.filter((s) => s.skippedBecause === null).length;
      if (advance.length > 0 && toExecute + executes > args.limit) break;
      toExecute += executes;
      advance.push({ jobId: job.id, next: plan.next });
      if (decided.cancelRunning) cancel.push({ jobId: job.id, message: cancelledMessage(plan.slots[0]?.at ?? job.next_run_at) });
      for (const s of decided.slots) planned.push({ jobId: job.id, slot: s.at, skippedBecause: s.skippedBecause, triggerId: null });
    }

    const inserted = await writeClaim(tx, {
      workerId: args.workerId,
      leaseMs: args.leaseMs,
      triggerType: "scheduled",
      advance,
      cancel,
      runs: planned,
    });
    const skipped = inserted.rows.filter((r) => r.status === "skipped").length;
    if (skipped > 0 || cancel.length > 0) args.onPolicy?.({ skipped, cancelled: inserted.cancelled });

    const byJob = new Map(due.map((j) => [j.id, j]));
    return inserted.rows
      .filter((r) => r.status === "running")
      .map((run): ClaimedRun => {
        const job = byJob.get(run.job_id) as DueJobRow;
        return {
          runId: run.id,
          jobId: run.job_id,
          tenantId: job.tenant_id,
          triggerType: "scheduled",
          scheduledFor: run.scheduled_for,
          maxAttempts: job.retry_max + 1,
          method: job.method,
          url: job.url,
          headers: job.headers ?? {},
          body: job.body,
          timeoutSeconds: job.timeout_seconds,
          sealed: sealedSecrets(job),
        };
      })
      .sort((a, b) => a.scheduledFor.getTime() - b.scheduledFor.getTime());
  }, { maxWait: 10_000, timeout: 30_000 });
}
