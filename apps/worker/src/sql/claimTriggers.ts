import type { Db } from "@btick/db";

import type { ClaimedRun } from "../types.ts";
import { sealedSecrets } from "./sealedSecrets.ts";

interface ClaimedTriggerRow {
  id: string;
  job_id: string;
  tenant_id: string;
  scheduled_for: Date;
  max_attempts: number;
  request_method: string;
  request_url: string;
  request_headers: Record<string, string> | null;
  request_body: unknown;
  timeout_seconds: number;
  secret_headers: Record<string, string> | null;
  signing_secret: string | null;
  signing_secret_previous: string | null;
  signing_secret_previous_expires_at: Date | null;
}

/**
 * Claims up to `limit` pending manual triggers (oldest first, skip locked) in one statement: each is marked claimed
 * and completed, and becomes a `manual` run whose scheduled_for is the trigger's created_at. Paused jobs still run.
 * The job's schedule is not touched; only last_run_at.
 */
export async function claimTriggers(db: Db, args: { workerId: string; limit: number; leaseMs: number }): Promise<ClaimedRun[]> {
  if (args.limit <= 0) return [];
  const rows = await db.$queryRaw<ClaimedTriggerRow[]>`
with picked as (
  select triggers.id
  from manual_job_triggers as triggers
  where triggers.completed_at is null
  order by triggers.created_at asc
  limit ${args.limit}::int
  for update skip locked
), marked as (
  update manual_job_triggers as triggers
  set claimed_at = now(), claimed_by = ${args.workerId}::text, completed_at = now()
  from picked
  where triggers.id = picked.id
  returning triggers.id, triggers.job_id, triggers.created_at
), touched as (
  update jobs as jobs
  set last_run_at = now()
  where jobs.id in (select marked.job_id from marked)
), inserted as (
  insert into job_runs (job_id, tenant_id, trigger_type, trigger_id, scheduled_for, status, attempt_number, max_attempts,
    request_method, request_url, request_headers, request_body, worker_id, lease_expires_at, started_at)
  select jobs.id, jobs.tenant_id, 'manual', marked.id, marked.created_at, 'running', 0, jobs.retry_max + 1,
    jobs.method, jobs.url, jobs.headers, jobs.body, ${args.workerId}::text,
    now() + ${args.leaseMs}::int * interval '1 millisecond', now()
  from marked
  inner join jobs as jobs on jobs.id = marked.job_id
  on conflict do nothing
  returning job_runs.id, job_runs.job_id, job_runs.tenant_id, job_runs.scheduled_for, job_runs.max_attempts,
    job_runs.request_method, job_runs.request_url, job_runs.request_headers, job_runs.request_body
)
select inserted.*, jobs.timeout_seconds, jobs.secret_headers, jobs.signing_secret, jobs.signing_secret_previous,
  jobs.signing_secret_previous_expires_at
from inserted
inner join jobs as jobs on jobs.id = inserted.job_id`;
  return rows.map(
    (row): ClaimedRun => ({
      runId: row.id,
      jobId: row.job_id,
      tenantId: row.tenant_id,
      triggerType: "manual",
      scheduledFor: row.scheduled_for,
      maxAttempts: row.max_attempts,
      method: row.request_method,
      url: row.request_url,
      headers: row.request_headers ?? {},
      body: row.request_body,
      timeoutSeconds: row.timeout_seconds,
      sealed: sealedSecrets(row),
    }),
  );
}
