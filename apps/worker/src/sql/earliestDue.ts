import type { Db } from "@btick/db";

import { observed, type DbClock } from "../dbClock.ts";

/**
 * Milliseconds (database clock) until something is due: the earliest enabled job's next_run_at or pending manual
 * trigger's creation. Negative: it has been due for that long already. Null when nothing is scheduled at all.
 */
export async function earliestDue(db: Db, clock?: DbClock): Promise<number | null> {
  const rows = await observed(clock, () => db.$queryRaw<{ ms: number | null; db_now: Date }[]>`
select (extract(epoch from (least(
  (select min(jobs.next_run_at) from jobs as jobs where jobs.enabled = true),
  (select min(triggers.created_at) from manual_job_triggers as triggers where triggers.completed_at is null)
) - now())) * 1000)::float8 as ms, clock_timestamp() as db_now`, (r) => r[0]?.db_now);
  return rows[0]?.ms ?? null;
}
