// Per-job cap (jobs.max_runs): keep the newest max_runs finished runs of each capped job (newest by started_at, then
// id); running runs are neither counted nor deleted. Three statements, each index-driven:
// 1. cappedJobs: the next capped jobs after a job id (keyset), so a pass visits each capped job once;
// 2. excessBoundaries: per job, its max_runs-th newest finished run, found once per pass through the
//    (job_id, started_at desc, id desc) index (it reads max_runs rows of that job);
// 3. deleteExcessRuns: finished runs older than their job's boundary, at most `limit` per statement, read from that
//    index starting at the boundary: a batch reads about `limit` rows, never the job's whole history again.
// A boundary stays valid while newer runs arrive (they are only more runs to keep), so batches may follow it freely.
import type { Db } from "@btick/db";
import { Prisma } from "@btick/db";

export interface CappedJob {
  id: string;
  maxRuns: number;
}

export interface ExcessBoundary {
  jobId: string;
  /** The oldest run to keep: every finished run of the job before it (started_at, then id) goes. */
  startedAt: Date;
  runId: string;
}

/** Up to `limit` capped jobs with an id above `after` (null: from the start), in id order. */
export async function cappedJobs(db: Db, args: { after: string | null; limit: number }): Promise<CappedJob[]> {
  const rows = await db.$queryRaw<{ id: string; max_runs: number }[]>`
select jobs.id, jobs.max_runs
from jobs as jobs
where jobs.max_runs is not null and jobs.id > coalesce(${args.after}::uuid, '00000000-0000-0000-0000-000000000000'::uuid)
order by jobs.id
limit ${args.limit}::int`;
  return rows.map((r) => ({ id: r.id, maxRuns: r.max_runs }));
}

/** The boundary of each job that has more than max_runs finished runs (jobs within their cap are left out). */
export async function excessBoundaries(db: Db, jobs: CappedJob[]): Promise<ExcessBoundary[]> {
  if (jobs.length === 0) return [];
  const rows = await db.$queryRaw<{ job_id: string; started_at: Date; run_id: string }[]>`
select capped.job_id, boundary.started_at, boundary.id as run_id
from unnest(${jobs.map((j) => j.id)}::uuid[], ${jobs.map((j) => j.maxRuns)}::int[]) as capped(job_id, max_runs)
cross join lateral (
  select kept.started_at, kept.id
  from job_runs as kept
  where kept.job_id = capped.job_id and kept.status <> 'running'
  order by kept.started_at desc, kept.id desc
  offset capped.max_runs - 1
  limit 1
) as boundary
where exists (
  select 1 from job_runs as older
  where older.job_id = capped.job_id and (older.started_at, older.id) < (boundary.started_at, boundary.id)
    and older.status <> 'running'
)`;
  return rows.map((r) => ({ jobId: r.job_id, startedAt: r.started_at, runId: r.run_id }));
}

export function deleteExcessRunsSql(args: { boundaries: ExcessBoundary[]; limit: number }): Prisma.Sql {
  const b = args.boundaries;
  return Prisma.sql`
delete from job_runs as runs
where runs.id = any(array(
  select doomed.id
  from unnest(${b.map((x) => x.jobId)}::uuid[], ${b.map((x) => x.startedAt)}::timestamptz[], ${b.map((x) => x.runId)}::uuid[])
    as boundary(job_id, started_at, run_id)
  cross join lateral (
    select old.id
    from job_runs as old
    where old.job_id = boundary.job_id and (old.started_at, old.id) < (boundary.started_at, boundary.run_id)
      and old.status <> 'running'
    order by old.started_at desc, old.id desc
    limit ${args.limit}::int
    for update skip locked
  ) as doomed
  limit ${args.limit}::int
))
and runs.status <> 'running'`;
}

/** Deletes up to `limit` finished runs older than their job's boundary, with their attempts (cascade). */
export async function deleteExcessRuns(db: Db, args: { boundaries: ExcessBoundary[]; limit: number }): Promise<number> {
  if (args.boundaries.length === 0) return 0;
  return db.$executeRaw(deleteExcessRunsSql(args));
}
