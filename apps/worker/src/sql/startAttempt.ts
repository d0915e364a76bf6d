import type { Db } from "@btick/db";

/**
 * Records that attempt `attemptNumber` of a run has started, fenced like completion.
 * Returns false when the run is no longer ours (lost, taken over or deleted): the caller stops retrying.
 */
export async function startAttempt(db: Db, args: { runId: string; workerId: string; attemptNumber: number }): Promise<boolean> {
  const count = await db.$executeRaw`
update job_runs as runs
set attempt_number = ${args.attemptNumber}::int
where runs.id = ${args.runId}::uuid and runs.worker_id = ${args.workerId}::text and runs.status = 'running'`;
  return count > 0;
}
