import type { Db } from "@btick/db";

/**
 * Retention by age: deletes up to `limit` finished runs (any status but `running`) started more than `days` days ago
 * (database clock), with their attempts (cascade). Candidates are found per job through the (job_id, started_at)
 * index; the delete re-checks the status, so a run that is still running is never removed. Returns the count.
 */
export async function deleteExpiredRuns(db: Db, args: { days: number; limit: number }): Promise<number> {
  return db.$executeRaw`
delete from job_runs as runs
where runs.id in (
  select doomed.id
  from jobs as jobs
  cross join lateral (
    select old.id
    from job_runs as old
    where old.job_id = jobs.id and old.started_at < now() - ${args.days}::int * interval '1 day' and old.status <> 'running'
    limit ${args.limit}::int
  ) as doomed
  limit ${args.limit}::int
)
and runs.status <> 'running'`;
}
