import type { Db } from "@btick/db";

import { Batcher, batcherRegistry } from "../batcher.ts";
import type { AttemptRecord } from "../types.ts";

export interface RecordAttemptArgs {
  runId: string;
  workerId: string;
  attempt: AttemptRecord;
}

/**
 * Writes finished attempts of several runs in one statement, as they complete (a run waiting for its next retry
 * already shows the attempts made so far), and raises each run's attempt_number to the attempt's number.
 *
 * Fenced on the lease owner: an attempt is written only to a run whose worker_id is still `workerId`, and
 * attempt_number only while the run is `running`. A run that was cancelled (replaced) or marked lost while its
 * request was in flight still gets the attempt that was really sent; a run taken over by another worker gets
 * nothing from us. Returns, per input, whether the run is still `running` and ours (false: stop retrying it).
 */
export async function recordAttempts(db: Db, items: RecordAttemptArgs[]): Promise<boolean[]> {
  if (items.length === 0) return [];
  const a = items.map((i) => i.attempt);
  const rows = await db.$queryRaw<{ id: string }[]>`
with input as (
  select *
  from unnest(${items.map((i) => i.runId)}::uuid[], ${items.map((i) => i.workerId)}::text[],
    ${a.map((x) => x.attemptNumber)}::int[], ${a.map((x) => x.outcome)}::text[], ${a.map((x) => x.statusCode)}::int[],
    ${a.map((x) => x.errorMessage)}::text[], ${a.map((x) => x.startedAt)}::timestamptz[],
    ${a.map((x) => x.finishedAt)}::timestamptz[], ${a.map((x) => x.durationMs)}::int[])
    as input(run_id, worker_id, attempt_number, outcome, response_status_code, error_message, started_at, finished_at,
      duration_ms)
), owned as (
  select runs.id
  from job_runs as runs
  inner join input on input.run_id = runs.id and input.worker_id = runs.worker_id
  where runs.status in ('running', 'cancelled', 'lost')
), counted as (
  update job_runs as runs
  set attempt_number = greatest(runs.attempt_number, input.attempt_number)
  from input
  where runs.id = input.run_id and runs.worker_id = input.worker_id and runs.status = 'running'
  returning runs.id
), written as (
  insert into job_run_attempts (run_id, attempt_number, outcome, response_status_code, error_message, started_at,
    finished_at, duration_ms)
  select input.run_id, input.attempt_number, input.outcome, input.response_status_code, input.error_message,
    input.started_at, input.finished_at, input.duration_ms
  from input
  inner join owned on owned.id = input.run_id
  on conflict (run_id, attempt_number) do nothing
)
select counted.id from counted`;
  const running = new Set(rows.map((r) => r.id));
  return items.map((i) => running.has(i.runId));
}

const recordBatcher = batcherRegistry(
  (db: Db) => new Batcher<RecordAttemptArgs, boolean>((items) => recordAttempts(db, items), { maxBatch: 500, maxInFlight: 1 }),
);

/** Records one finished attempt (see recordAttempts), coalesced with the others of this process at the same moment. */
export function recordAttempt(db: Db, args: RecordAttemptArgs): Promise<boolean> {
  return recordBatcher(db).add(args);
}
