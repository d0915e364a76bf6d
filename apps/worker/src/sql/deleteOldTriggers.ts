import type { Db } from "@btick/db";
import { Prisma } from "@btick/db";

/**
 * Deletes up to `limit` completed manual triggers older than `days` days (database clock), oldest first, found
 * through the (completed_at, created_at) index and deleted by primary key. Their runs stay (with trigger_id set to
 * null) until run retention removes them. Pending triggers are never deleted. Returns the count.
 */
export function deleteOldTriggersSql(args: { days: number; limit: number }): Prisma.Sql {
  return Prisma.sql`
delete from manual_job_triggers as triggers
where triggers.id = any(array(
  select old.id
  from manual_job_triggers as old
  where old.completed_at < now() - ${args.days}::int * interval '1 day'
  order by old.completed_at
  limit ${args.limit}::int
  for update skip locked
))`;
}

export async function deleteOldTriggers(db: Db, args: { days: number; limit: number }): Promise<number> {
  return db.$executeRaw(deleteOldTriggersSql(args));
}
