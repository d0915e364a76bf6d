import type { Db } from "@btick/db";
import { nextRunAfter } from "@btick/scheduling";

import type { ClaimedRun } from "../types.ts";
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
  next_run_at: Date;
  db_now: Date;
  secret_headers: Record<string, string> | null;
  signing_secret: string | null;
  signing_secret_previous: string | null;
  signing_secret_previous_expires_at: Date | null;
}

interface InsertedRunRow {
  id: string;
  job_id: string;
  scheduled_for: Date;
}

/**
 * Claims up to `limit` due jobs in one transaction (database clock only): locks them with skip locked, inserts one
 * `running` run per slot (a slot already recorded is skipped by the unique (job_id, scheduled_for)), and advances
 * next_run_at to the first slot after max(slot, now()), so slots missed during an outage fire once and the schedule
 * then continues in the future. A job whose next slot cannot be computed gets next_run_at = null (it stops firing;
 * `onScheduleError` is told why).
 */
export async function claimDueJobs(
  db: Db,
  args: { workerId: string; limit: number; leaseMs: number; onScheduleError?: (jobId: string, err: unknown) => void },
): Promise<ClaimedRun[]> {
  if (args.limit <= 0) return [];
  return db.$transaction(async (tx) => {
    const due = await tx.$queryRaw<DueJobRow[]>`
select jobs.id, jobs.tenant_id, jobs.method, jobs.url, jobs.headers, jobs.body, jobs.cron_expression, jobs.timezone,
  jobs.retry_max, jobs.timeout_seconds, jobs.next_run_at, now() as db_now, jobs.secret_headers, jobs.signing_secret,
  jobs.signing_secret_previous, jobs.signing_secret_previous_expires_at
from jobs as jobs
where jobs.enabled = true and jobs.next_run_at <= now()
order by jobs.next_run_at asc
limit ${args.limit}::int
for update skip locked`;
    if (due.length === 0) return [];

    const nexts = due.map((job) => {
      const after = job.next_run_at > job.db_now ? job.next_run_at : job.db_now;
      try {
        return nextRunAfter(job.cron_expression, job.timezone, after);
      } catch (err) {
        args.onScheduleError?.(job.id, err);
        return null;
      }
    });

    const inserted = await tx.$queryRaw<InsertedRunRow[]>`
with input as (
  select * from unnest(${due.map((j) => j.id)}::uuid[], ${due.map((j) => j.next_run_at)}::timestamptz[],
    ${nexts}::timestamptz[]) as input(job_id, slot, next_run_at)
), advanced as (
  update jobs as jobs
  set next_run_at = input.next_run_at, last_run_at = now()
  from input
  where jobs.id = input.job_id
  returning jobs.id, jobs.tenant_id, jobs.method, jobs.url, jobs.headers, jobs.body, jobs.retry_max, input.slot
)
insert into job_runs (job_id, tenant_id, trigger_type, scheduled_for, status, attempt_number, max_attempts,
  request_method, request_url, request_headers, request_body, worker_id, lease_expires_at, started_at)
select advanced.id, advanced.tenant_id, 'scheduled', advanced.slot, 'running', 0, advanced.retry_max + 1,
  advanced.method, advanced.url, advanced.headers, advanced.body, ${args.workerId}::text,
  now() + ${args.leaseMs}::int * interval '1 millisecond', now()
from advanced
on conflict (job_id, scheduled_for) do nothing
returning job_runs.id, job_runs.job_id, job_runs.scheduled_for`;

    const byJob = new Map(due.map((j) => [j.id, j]));
    return inserted.map((run): ClaimedRun => {
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
    });
  }, { maxWait: 10_000, timeout: 30_000 });
}

