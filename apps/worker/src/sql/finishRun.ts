import type { Db } from "@btick/db";

import type { RunResult } from "../types.ts";

/**
 * Writes a run's final state and its attempts in one statement, fenced on the lease: nothing is written unless the
 * run is still `running` and owned by `workerId` (a run marked lost or taken over keeps its newer state).
 * Finished_at and duration_ms come from the database clock, like started_at. Returns whether the fence held.
 */
export async function finishRun(db: Db, args: { runId: string; workerId: string; result: RunResult }): Promise<boolean> {
  const { result } = args;
  const a = result.attempts;
  const rows = await db.$queryRaw<{ updated: number }[]>`
with done as (
  update job_runs as runs
  set status = ${result.status}::text,
    attempt_number = ${result.attemptNumber}::int,
    response_status_code = ${result.statusCode}::int,
    response_headers = ${result.responseHeaders === null ? null : JSON.stringify(result.responseHeaders)}::jsonb,
    response_body = ${result.responseBody}::text,
    response_body_truncated = ${result.responseBodyTruncated}::boolean,
    response_body_bytes = ${result.responseBodyBytes}::int,
    error_message = ${result.errorMessage}::text,
    finished_at = now(),
    duration_ms = greatest(0, round(extract(epoch from (now() - runs.started_at)) * 1000))::int
  where runs.id = ${args.runId}::uuid and runs.worker_id = ${args.workerId}::text and runs.status = 'running'
  returning runs.id
), attempts as (
  insert into job_run_attempts (run_id, attempt_number, outcome, response_status_code, error_message, started_at,
    finished_at, duration_ms)
  select done.id, input.attempt_number, input.outcome, input.response_status_code, input.error_message,
    input.started_at, input.finished_at, input.duration_ms
  from done
  cross join unnest(${a.map((x) => x.attemptNumber)}::int[], ${a.map((x) => x.outcome)}::text[],
    ${a.map((x) => x.statusCode)}::int[], ${a.map((x) => x.errorMessage)}::text[],
    ${a.map((x) => x.startedAt)}::timestamptz[], ${a.map((x) => x.finishedAt)}::timestamptz[],
    ${a.map((x) => x.durationMs)}::int[])
    as input(attempt_number, outcome, response_status_code, error_message, started_at, finished_at, duration_ms)
  on conflict (run_id, attempt_number) do nothing
  returning 1
)
select (select count(*) from done)::int as updated`;
  return (rows[0]?.updated ?? 0) > 0;
}
