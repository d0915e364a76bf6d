// The writes shared by both claims (scheduled slots and manual triggers), inside their transaction.
import { Prisma, type Db } from "@btick/db";

import { LOST_RUN_MESSAGE } from "./recoverLostRuns.ts";

type Tx = Parameters<Parameters<Db["$transaction"]>[0]>[0];

export interface PlannedRun {
  jobId: string;
  /** The slot; for manual runs the trigger's created_at (read in SQL, full precision) wins. */
  slot: Date;
  /** Non-null: recorded as a finished `skipped` run with this message instead of being executed. */
  skippedBecause: string | null;
  /** Non-null: recorded as a finished `cancelled` run with this message (replaced before it started). */
  cancelledBecause?: string | null;
  triggerId: string | null;
}

export interface InsertedRun {
  id: string;
  job_id: string;
  trigger_id: string | null;
  scheduled_for: Date;
  status: "running" | "skipped" | "cancelled";
}

/**
 * A manual run's scheduled_for is its trigger's created_at, which can equal another run's (job_id, scheduled_for):
 * two triggers created in one transaction, or a trigger created exactly on a slot. Such a run moves to the next free
 * microsecond; this many tries is far beyond any real collision.
 */
const MAX_MANUAL_SHIFTS = 100;

/**
 * Which of `jobIds` have a run in progress. A `running` run whose lease has already expired is not in progress (its
 * worker is gone): it is marked `lost` here, as the sweeper would, so it neither blocks nor is replaced.
 */
export async function expireAndListRunning(tx: Tx, jobIds: string[]): Promise<Set<string>> {
  if (jobIds.length === 0) return new Set();
  const rows = await tx.$queryRaw<{ job_id: string }[]>`
with expired as (
  update job_runs as runs
  set status = 'lost', finished_at = now(), error_message = ${LOST_RUN_MESSAGE}::text,
    duration_ms = greatest(0, round(extract(epoch from (now() - runs.started_at)) * 1000))::int
  where runs.job_id = any(${jobIds}::uuid[]) and runs.status = 'running' and runs.lease_expires_at < now()
  returning runs.id
)
select distinct runs.job_id
from job_runs as runs
where runs.job_id = any(${jobIds}::uuid[]) and runs.status = 'running' and runs.lease_expires_at >= now()
  and runs.id not in (select expired.id from expired)`;
  return new Set(rows.map((r) => r.job_id));
}

/**
 * Cancels the running runs of the listed jobs (concurrency_policy replace) and notifies their owners
 * (`cancel:<run id>` on btick_wakeup, delivered at commit), advances the jobs' schedules (scheduled claims only;
 * last_run_at always), and inserts the planned runs. Returns the inserted rows (a slot already recorded is dropped
 * by the unique (job_id, scheduled_for)) and the number of cancelled runs.
 */
export async function writeClaim(
  tx: Tx,
  args: {
    workerId: string;
    leaseMs: number;
    triggerType: "scheduled" | "manual";
    /** Scheduled claims: the new next_run_at per job. Manual claims: only last_run_at is touched. */
    advance: { jobId: string; next: Date | null }[] | null;
    cancel: { jobId: string; message: string }[];
    runs: PlannedRun[];
  },
): Promise<{ rows: InsertedRun[]; cancelled: number }> {
  let cancelled = 0;
  if (args.cancel.length > 0) {
    const rows = await tx.$queryRaw<{ id: string }[]>`
with cancelled as (
  update job_runs as runs
  set status = 'cancelled', finished_at = now(), error_message = input.message,
    duration_ms = greatest(0, round(extract(epoch from (now() - runs.started_at)) * 1000))::int
  from unnest(${args.cancel.map((c) => c.jobId)}::uuid[], ${args.cancel.map((c) => c.message)}::text[]) as input(job_id, message)
  where runs.job_id = input.job_id and runs.status = 'running'
  returning runs.id
)
select cancelled.id, pg_notify('btick_wakeup', 'cancel:' || cancelled.id::text)::text as notified
from cancelled`;
    cancelled = rows.length;
  }
  if (args.advance && args.advance.length > 0 && args.runs.length > 0) {
    // Scheduled claims: the schedule advances in the statement that inserts the runs (one round trip).
    return { rows: await insertRuns(tx, args, args.runs, 0, args.advance), cancelled };
  }
  if (args.advance && args.advance.length > 0) {
    await tx.$executeRaw`${advanceJobs(args.advance)} select 1`;
  } else if (!args.advance) {
    await tx.$executeRaw`
update jobs as jobs set last_run_at = now() where jobs.id = any(${[...new Set(args.runs.map((r) => r.jobId))]}::uuid[])`;
  }
  if (args.runs.length === 0) return { rows: [], cancelled };
  if (args.triggerType === "scheduled") return { rows: await insertRuns(tx, args, args.runs, 0, null), cancelled };
  // Manual runs: every trigger gets its run, however its created_at collides.
  const rows: InsertedRun[] = [];
  let left = args.runs;
  for (let shift = 0; left.length > 0; shift++) {
    if (shift >= MAX_MANUAL_SHIFTS) throw new Error(`no free scheduled_for found for ${left.length} manual run(s)`);
    const got = await insertRuns(tx, args, left, shift, null);
    rows.push(...got);
    const done = new Set(got.map((g) => g.trigger_id));
    left = left.filter((p) => !done.has(p.triggerId));
  }
  return { rows, cancelled };
}

/** A `with` clause advancing the jobs' schedules (next_run_at, last_run_at), to prefix a statement with. */
function advanceJobs(advance: { jobId: string; next: Date | null }[]): Prisma.Sql {
  return Prisma.sql`
with advanced as (
  update jobs as jobs
  set next_run_at = input.next_run_at, last_run_at = now()
  from unnest(${advance.map((a) => a.jobId)}::uuid[], ${advance.map((a) => a.next)}::timestamptz[]) as input(job_id, next_run_at)
  where jobs.id = input.job_id
  returning jobs.id
)`;
}

/**
 * Inserts planned runs (each slot moved by `shiftMicros`), dropping those whose (job_id, scheduled_for) is taken,
 * and, with `advance`, advances those jobs' schedules in the same statement. Runs of one statement that collide with
 * each other keep the first of them.
 */
async function insertRuns(
  tx: Tx,
  args: { workerId: string; leaseMs: number; triggerType: "scheduled" | "manual" },
  r: PlannedRun[],
  shiftMicros: number,
  advance: { jobId: string; next: Date | null }[] | null,
): Promise<InsertedRun[]> {
  return tx.$queryRaw<InsertedRun[]>`${advance ? advanceJobs(advance) : Prisma.empty}
insert into job_runs (job_id, tenant_id, trigger_type, trigger_id, scheduled_for, status, attempt_number, max_attempts,
  request_method, request_url, request_headers, request_body, error_message, worker_id, lease_expires_at, started_at,
  finished_at, duration_ms)
select jobs.id, jobs.tenant_id, ${args.triggerType}::text, input.trigger_id,
  coalesce(triggers.created_at, input.slot) + ${shiftMicros}::int * interval '1 microsecond',
  case when input.final_because is null then 'running' when input.cancelled then 'cancelled' else 'skipped' end, 0,
  jobs.retry_max + 1, jobs.method, jobs.url, jobs.headers, jobs.body, input.final_because, ${args.workerId}::text,
  case when input.final_because is null then now() + ${args.leaseMs}::int * interval '1 millisecond' end, now(),
  case when input.final_because is not null then now() end,
  case when input.final_because is not null then 0 end
from unnest(${r.map((x) => x.jobId)}::uuid[], ${r.map((x) => x.slot)}::timestamptz[],
  ${r.map((x) => x.skippedBecause ?? x.cancelledBecause ?? null)}::text[], ${r.map((x) => !!x.cancelledBecause)}::boolean[],
  ${r.map((x) => x.triggerId)}::uuid[], ${r.map((_, i) => i)}::int[])
  as input(job_id, slot, final_because, cancelled, trigger_id, ord)
inner join jobs as jobs on jobs.id = input.job_id
left join manual_job_triggers as triggers on triggers.id = input.trigger_id
order by input.ord
on conflict do nothing
returning job_runs.id, job_runs.job_id, job_runs.trigger_id, job_runs.scheduled_for, job_runs.status`;
}
