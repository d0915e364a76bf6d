import type { Db } from "@btick/db";

/** Heartbeat: extends the lease of every listed run this worker still owns, in one statement. Returns the count. */
export async function renewLeases(db: Db, args: { workerId: string; runIds: string[]; leaseMs: number }): Promise<number> {
  if (args.runIds.length === 0) return 0;
  return db.$executeRaw`
update job_runs as runs
set lease_expires_at = now() + ${args.leaseMs}::int * interval '1 millisecond'
where runs.id = any(${args.runIds}::uuid[]) and runs.worker_id = ${args.workerId}::text and runs.status = 'running'`;
}
