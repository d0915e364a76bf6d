// Run output and list schemas.
import { z } from "zod";

import { jsonValue, nextCursorOutput, pageCursor, pageLimit, pathId, timestamp } from "./common.ts";

/** `blocked_by_policy`: the outbound network policy refused the target's address (see README, "Security"). */
export const RUN_STATUSES = ["running", "success", "failed", "lost", "skipped", "cancelled", "blocked_by_policy"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const TRIGGER_TYPES = ["scheduled", "manual"] as const;
export const ATTEMPT_OUTCOMES = ["success", "http_error", "timeout", "network_error", "blocked"] as const;

export const runListInput = z.object({
  jobId: pathId("jobId"),
  limit: pageLimit(100),
  cursor: pageCursor,
  status: z.enum(RUN_STATUSES, { error: `must be one of ${RUN_STATUSES.join(", ")}` }).optional(),
  trigger_type: z.enum(TRIGGER_TYPES, { error: `must be one of ${TRIGGER_TYPES.join(", ")}` }).optional(),
});
export type RunListInput = z.infer<typeof runListInput>;

export const runIdInput = z.object({ runId: pathId("runId") });

export const runOutput = z
  .object({
    id: z.uuid(),
    job_id: z.uuid(),
    trigger_type: z.enum(TRIGGER_TYPES),
    scheduled_for: timestamp,
    status: z.enum(RUN_STATUSES),
    attempt_number: z.int(),
    max_attempts: z.int(),
    request_method: z.string(),
    request_url: z.string(),
    request_headers: z.record(z.string(), z.string()),
    request_body: jsonValue.nullable(),
    response_status_code: z.int().nullable(),
    response_headers: z.record(z.string(), z.array(z.string())).nullable(),
    response_body: z.string().nullable(),
    response_body_truncated: z.boolean(),
    response_body_bytes: z.int().nullable(),
    error_message: z.string().nullable(),
    worker_id: z.string().nullable(),
    started_at: timestamp,
    finished_at: timestamp.nullable(),
    duration_ms: z.int().nullable(),
  })
  .meta({ id: "Run" });
export type RunOutput = z.infer<typeof runOutput>;

export const runAttemptOutput = z
  .object({
    attempt_number: z.int(),
    outcome: z.enum(ATTEMPT_OUTCOMES),
    response_status_code: z.int().nullable(),
    error_message: z.string().nullable(),
    started_at: timestamp,
    finished_at: timestamp,
    duration_ms: z.int(),
  })
  .meta({ id: "RunAttempt" });
export type RunAttemptOutput = z.infer<typeof runAttemptOutput>;

export const runDetailOutput = runOutput.extend({ attempts: z.array(runAttemptOutput) }).meta({ id: "RunDetail" });
export type RunDetailOutput = z.infer<typeof runDetailOutput>;

export const runListOutput = z.object({ runs: z.array(runOutput), next_cursor: nextCursorOutput });
export const runEnvelopeOutput = z.object({ run: runDetailOutput });
