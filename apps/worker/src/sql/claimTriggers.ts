import type { Db } from "@btick/db";

import { observed, type DbClock } from "../dbClock.ts";
import { applyConcurrency, cancelledMessage } from "../policy.ts";
import type { ClaimedRun } from "../types.ts";
import type { ClaimCounts } from "./claimDueJobs.ts";
import { expireAndListRunning, writeClaim, type PlannedRun } from "./claimWrites.ts";
import { sealedSecrets } from "./sealedSecrets.ts";

interface PickedTriggerRow {
  id: string;
  job_id: string;
  created_at: Date;
  tenant_id: string;
  method: string;
  url: string;
  headers: Record<string, string> | null;
  body: unknown;
  retry_max: number;
  timeout_seconds: number;
  concurrency_policy: string;
  secret_headers: Record<string, string> | null;
  signing_secret: string | null;
  signing_secret_previous: string | null;
  signing_secret_previous_expires_at: Date | null;
  db_now: Date;
}

/**
 * Claims up to `limit` pending manual triggers (oldest first) in one transaction. Each trigger and its job row are
 * locked with skip locked (a job being claimed by another transaction keeps its triggers for the next pass, so the
 * concurrency policy is always decided under the job's lock); each trigger is marked claimed and completed and
 * becomes a `manual` run whose scheduled_for is the trigger's created_at (moved by a microsecond or more when that
 * collides with another run of the job: every trigger gets its run). The job's concurrency policy applies as for
 * scheduled slots (forbid: recorded as `skipped`; replace: the running run is cancelled), also between the triggers
 * of one claim: under forbid the first runs and the others are skipped; under replace only the newest runs and the
 * older ones are recorded `cancelled` without being sent. Paused jobs still run. The job's schedule is not touched;
 * only last_run_at.
 */
export async function claimTriggers(
  db: Db,
  args: { workerId: string; limit: number; leaseMs: number; onPolicy?: (counts: ClaimCounts) => void; clock?: DbClock },
): Promise<ClaimedRun[]> {
  if (args.limit <= 0) return [];
  // Cheap probe first: most passes find no trigger and should not pay for a transaction.
  const pending = await db.$queryRaw<{ any: boolean }[]>`
select exists (select 1 from manual_job_triggers as triggers where triggers.completed_at is null) as any`;
  if (!pending[0]?.any) return [];
  return db.$transaction(async (tx) => {
    const picked = await observed(args.clock, () => tx.$queryRaw<PickedTriggerRow[]>`
select triggers.id, triggers.job_id, triggers.created_at, jobs.tenant_id, jobs.method, jobs.url, jobs.headers,
  jobs.body, jobs.retry_max, jobs.timeout_seconds, jobs.concurrency_policy, jobs.secret_headers, jobs.signing_secret,
  jobs.signing_secret_previous, jobs.signing_secret_previous_expires_at, clock_timestamp() as db_now
from manual_job_triggers as triggers
inner join jobs as jobs on jobs.id = triggers.job_id
where triggers.completed_at is null
order by triggers.created_at asc, triggers.id asc
limit ${args.limit}::int
for update of triggers, jobs skip locked`, (rows) => rows[0]?.db_now);
    if (picked.length === 0) return [];

    await tx.$executeRaw`
update manual_job_triggers as triggers
set claimed_at = now(), claimed_by = ${args.workerId}::text, completed_at = now()
where triggers.id = any(${picked.map((t) => t.id)}::uuid[])`;

    const running = await expireAndListRunning(tx, [...new Set(picked.map((t) => t.job_id))]);
    const planned: PlannedRun[] = [];
    const cancel: { jobId: string; message: string }[] = [];
    // Under replace, the newest trigger of each job in this claim is the one that runs.
    const newest = new Map<string, PickedTriggerRow>();
    for (const t of picked) if (t.concurrency_policy === "replace") newest.set(t.job_id, t);
    for (const t of picked) {
      const winner = newest.get(t.job_id);
      if (winner && winner !== t) {
        planned.push({ jobId: t.job_id, slot: t.created_at, skippedBecause: null, cancelledBecause: cancelledMessage(winner.created_at), triggerId: t.id });
        continue;
      }
      const decided = applyConcurrency(t.concurrency_policy, running.has(t.job_id), [{ at: t.created_at, skippedBecause: null }]);
      if (decided.cancelRunning && !cancel.some((c) => c.jobId === t.job_id)) {
        cancel.push({ jobId: t.job_id, message: cancelledMessage(t.created_at) });
      }
      for (const s of decided.slots) planned.push({ jobId: t.job_id, slot: s.at, skippedBecause: s.skippedBecause, triggerId: t.id });
      // A second trigger of the same job in this batch sees this one as in progress.
      if (decided.slots.some((s) => s.skippedBecause === null)) running.add(t.job_id);
    }
    const inserted = await writeClaim(tx, {
      workerId: args.workerId,
      leaseMs: args.leaseMs,
      triggerType: "manual",
      advance: null,
      cancel,
      runs: planned,
    });
    const skipped = inserted.rows.filter((r) => r.status === "skipped").length;
    if (skipped > 0 || cancel.length > 0) args.onPolicy?.({ skipped, cancelled: inserted.cancelled });

    const byTrigger = new Map(picked.map((t) => [t.id, t]));
    return inserted.rows
      .filter((r) => r.status === "running")
      .map((row): ClaimedRun => {
        const t = byTrigger.get(row.trigger_id ?? "") as PickedTriggerRow;
        return {
          runId: row.id,
          jobId: row.job_id,
          tenantId: t.tenant_id,
          triggerType: "manual",
          scheduledFor: row.scheduled_for,
          maxAttempts: t.retry_max + 1,
          method: t.method,
          url: t.url,
          headers: t.headers ?? {},
          body: t.body,
          timeoutSeconds: t.timeout_seconds,
          sealed: sealedSecrets(t),
        };
      });
  }, { maxWait: 10_000, timeout: 30_000 });
}
