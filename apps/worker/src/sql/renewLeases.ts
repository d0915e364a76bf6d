import type { Db } from "@btick/db";

/**
 * Heartbeat: extends the lease of every listed run this worker still owns and that is still `running`, in one
 * statement. Returns the ids renewed: a listed run missing from the answer was cancelled, marked lost or deleted,
 * and its owner stops executing it.
 */
export async function renewLeases(db: Db, args: { workerId: string; runIds: string[]; leaseMs: number }): Promise<string[]> {
  if (args.runIds.length === 0) return [];
  const rows = await db.$queryRaw<{ id: string }[]>`
update job_runs as runs
set lease_expires_at = now() + ${args.leaseMs}::int * interval '1 millisecond'
where runs.id = any(${args.runIds}::uuid[]) and runs.worker_id = ${args.workerId}::text and runs.status = 'running'
returning runs.id`;
  return rows.map((r) => r.id);
}
