import type { Db } from "@btick/db";

/**
 * Per-job cap (jobs.max_runs): deletes up to `limit` finished runs beyond the newest `max_runs` finished runs of
 * their job (newest by started_at, then id), with their attempts (cascade). Running runs are neither counted nor
 * deleted. Returns the count.
 */
export async function deleteExcessRuns(db: Db, args: { limit: number }): Promise<number> {
  return db.$executeRaw`
delete from job_runs as runs
where runs.id in (
  select excess.id
  from jobs as jobs
  cross join lateral (
    select kept.id
    from job_runs as kept
    where kept.job_id = jobs.id and kept.status <> 'running'
    order by kept.started_at desc, kept.id desc
    offset jobs.max_runs
  ) as excess
  where jobs.max_runs is not null
  limit ${args.limit}::int
)
and runs.status <> 'running'`;
}
