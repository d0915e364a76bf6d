import type { Db } from "@btick/db";
import { Prisma } from "@btick/db";

/**
 * Retention by age: deletes up to `limit` finished runs (any status but `running`) started more than `days` days ago
 * (database clock), oldest first, with their attempts (cascade). The candidates come from the started_at index, so a
 * batch reads about `limit` rows however large the table, and costs next to nothing when there is nothing to delete;
 * rows another cleaner holds are skipped. Returns the count.
 */
export function deleteExpiredRunsSql(args: { days: number; limit: number }): Prisma.Sql {
  return Prisma.sql`
delete from job_runs as runs
where runs.id = any(array(
  select old.id
  from job_runs as old
  where old.started_at < now() - ${args.days}::int * interval '1 day' and old.status <> 'running'
  order by old.started_at
  limit ${args.limit}::int
  for update skip locked
))
and runs.status <> 'running'`;
}

export async function deleteExpiredRuns(db: Db, args: { days: number; limit: number }): Promise<number> {
  return db.$executeRaw(deleteExpiredRunsSql(args));
}
