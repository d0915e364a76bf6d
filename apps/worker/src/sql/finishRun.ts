import type { Db } from "@btick/db";

import { Batcher, batcherRegistry } from "../batcher.ts";
import type { RunResult } from "../types.ts";

export interface FinishRunArgs {
  runId: string;
  workerId: string;
  result: RunResult;
}

/**
 * Writes the final state and the attempts of several runs in one statement, each row fenced on its lease: nothing
 * is written for a run that is no longer `running` and owned by its `workerId` (a run marked lost or taken over
 * keeps its newer state, and gets no attempt rows from us). finished_at and duration_ms come from the database
 * clock, like started_at. Returns, per input, whether its fence held.
 */
export async function finishRuns(db: Db, items: FinishRunArgs[]): Promise<boolean[]> {
  if (items.length === 0) return [];
  const runs = items.map((i) => i.result);
  const attempts = items.flatMap((i) => i.result.attempts.map((a) => ({ runId: i.runId, ...a })));
  const rows = await db.$queryRaw<{ id: string }[]>`
with input as (
  select *
  from unnest(${items.map((i) => i.runId)}::uuid[], ${items.map((i) => i.workerId)}::text[],
    ${runs.map((r) => r.status)}::text[], ${runs.map((r) => r.attemptNumber)}::int[],
    ${runs.map((r) => r.statusCode)}::int[],
    ${runs.map((r) => (r.responseHeaders === null ? null : JSON.stringify(r.responseHeaders)))}::text[],
    ${runs.map((r) => r.responseBody)}::text[], ${runs.map((r) => r.responseBodyTruncated)}::boolean[],
    ${runs.map((r) => r.responseBodyBytes)}::int[], ${runs.map((r) => r.responseBodyBytesCapped)}::boolean[],
    ${runs.map((r) => r.errorMessage)}::text[])
    as input(run_id, worker_id, status, attempt_number, response_status_code, response_headers, response_body,
      response_body_truncated, response_body_bytes, response_body_bytes_capped, error_message)
), done as (
  update job_runs as runs
  set status = input.status,
    attempt_number = input.attempt_number,
    response_status_code = input.response_status_code,
    response_headers = input.response_headers::jsonb,
    response_body = input.response_body,
    response_body_truncated = input.response_body_truncated,
    response_body_bytes = input.response_body_bytes,
    response_body_bytes_capped = input.response_body_bytes_capped,
    error_message = input.error_message,
    finished_at = now(),
    duration_ms = greatest(0, round(extract(epoch from (now() - runs.started_at)) * 1000))::int
  from input
  where runs.id = input.run_id and runs.worker_id = input.worker_id and runs.status = 'running'
  returning runs.id
), attempts as (
  insert into job_run_attempts (run_id, attempt_number, outcome, response_status_code, error_message, started_at,
    finished_at, duration_ms)
  select attempts.run_id, attempts.attempt_number, attempts.outcome, attempts.response_status_code,
    attempts.error_message, attempts.started_at, attempts.finished_at, attempts.duration_ms
  from unnest(${attempts.map((a) => a.runId)}::uuid[], ${attempts.map((a) => a.attemptNumber)}::int[],
    ${attempts.map((a) => a.outcome)}::text[], ${attempts.map((a) => a.statusCode)}::int[],
    ${attempts.map((a) => a.errorMessage)}::text[], ${attempts.map((a) => a.startedAt)}::timestamptz[],
    ${attempts.map((a) => a.finishedAt)}::timestamptz[], ${attempts.map((a) => a.durationMs)}::int[])
    as attempts(run_id, attempt_number, outcome, response_status_code, error_message, started_at, finished_at,
      duration_ms)
  inner join done on done.id = attempts.run_id
  on conflict (run_id, attempt_number) do nothing
)
select done.id from done`;
  const written = new Set(rows.map((r) => r.id));
  return items.map((i) => written.has(i.runId));
}

/** Completions per statement; a response body is at most 64 KiB, so a batch stays below a few MiB in practice. */
const FINISH_BATCH = 100;

const finishBatcher = batcherRegistry(
  (db: Db) => new Batcher<FinishRunArgs, boolean>((items) => finishRuns(db, items), { maxBatch: FINISH_BATCH, maxInFlight: 2 }),
);

/**
 * Records one run's final state (see finishRuns), coalesced with the other completions of this process that are
 * pending at the same moment into one statement. Returns whether the fence held.
 */
export function finishRun(db: Db, args: FinishRunArgs): Promise<boolean> {
  return finishBatcher(db).add(args);
}
