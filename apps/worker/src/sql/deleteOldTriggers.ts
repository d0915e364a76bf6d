import type { Db } from "@btick/db";

/**
 * Deletes up to `limit` completed manual triggers older than `days` days (database clock). Their runs stay (with
 * trigger_id set to null) until run retention removes them. Pending triggers are never deleted. Returns the count.
 */
export async function deleteOldTriggers(db: Db, args: { days: number; limit: number }): Promise<number> {
  return db.$executeRaw`
delete from manual_job_triggers as triggers
where triggers.id in (
  select old.id
  from manual_job_triggers as old
  where old.completed_at < now() - ${args.days}::int * interval '1 day'
  limit ${args.limit}::int
)`;
}
