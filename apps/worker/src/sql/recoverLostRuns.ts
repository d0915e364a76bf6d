import type { Db } from "@btick/db";

export const LOST_RUN_MESSAGE = "worker lost: lease expired";

/** Marks every `running` run whose lease has expired (its worker died or stalled) as `lost`. Returns the run ids. */
export async function recoverLostRuns(db: Db, args: { limit?: number } = {}): Promise<{ id: string; worker_id: string | null }[]> {
  return db.$queryRaw<{ id: string; worker_id: string | null }[]>`
with expired as (
  select runs.id
  from job_runs as runs
  where runs.status = 'running' and runs.lease_expires_at < now()
  order by runs.lease_expires_at asc
  limit ${args.limit ?? 1000}::int
  for update skip locked
)
update job_runs as runs
set status = 'lost', finished_at = now(), error_message = ${LOST_RUN_MESSAGE}::text,
  duration_ms = greatest(0, round(extract(epoch from (now() - runs.started_at)) * 1000))::int
from expired
where runs.id = expired.id and runs.status = 'running'
returning runs.id, runs.worker_id`;
}
