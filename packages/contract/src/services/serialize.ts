// Database rows → wire objects (snake_case, ISO timestamps, nulls kept).
import { isScope } from "@btick/auth";
import type { ApiKeyModel as ApiKey, JobModel as Job, JobRunAttemptModel as JobRunAttempt, JobRunModel as JobRun, Prisma } from "@btick/db";
import { nextRuns } from "@btick/scheduling";
import { secretHeaderMatcher, type SecretHeaderMatcher } from "@btick/secrets";

import type { ApiKeyOutput } from "../schemas/apiKeys.ts";
import type { JobOutput } from "../schemas/jobs.ts";
import type { RunAttemptOutput, RunDetailOutput, RunOutput } from "../schemas/runs.ts";
import { maskHeaders } from "./secrets.ts";

type JsonValue = Prisma.JsonValue;

const iso = (d: Date) => d.toISOString();
const isoOrNull = (d: Date | null) => (d ? d.toISOString() : null);

function stringRecord(v: JsonValue | null): Record<string, string> {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return {};
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) if (typeof val === "string") out[k] = val;
  return out;
}

function stringListRecord(v: JsonValue | null): Record<string, string[]> | null {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return null;
  const out: Record<string, string[]> = {};
  for (const [k, val] of Object.entries(v)) {
    if (Array.isArray(val)) out[k] = val.filter((x): x is string => typeof x === "string");
    else if (typeof val === "string") out[k] = [val];
  }
  return out;
}

export const NEXT_RUNS_COUNT = 5;

const defaultSecretMatcher = secretHeaderMatcher();

/** Secret header values are always masked (stored masked; `isSecret` also masks values stored before a pattern existed). */
export function toJob(job: Job, now: Date = new Date(), isSecret: SecretHeaderMatcher = defaultSecretMatcher): JobOutput {
  let upcoming: string[] = [];
  try {
    upcoming = nextRuns(job.cronExpression, job.timezone, now, NEXT_RUNS_COUNT).map(iso);
  } catch {
    // Stored schedules were validated on write; an unparsable one simply has no upcoming runs.
  }
  return {
    id: job.id,
    name: job.name,
    method: job.method,
    url: job.url,
    headers: maskHeaders(stringRecord(job.headers), isSecret),
    body: (job.body ?? null) as JobOutput["body"],
    cron_expression: job.cronExpression,
    timezone: job.timezone,
    retry_max: job.retryMax,
    timeout_seconds: job.timeoutSeconds,
    enabled: job.enabled,
    concurrency_policy: job.concurrencyPolicy as JobOutput["concurrency_policy"],
    misfire_policy: job.misfirePolicy as JobOutput["misfire_policy"],
    misfire_catch_up_max: job.misfireCatchUpMax,
    max_runs: job.maxRuns,
    next_run_at: isoOrNull(job.nextRunAt),
    last_run_at: isoOrNull(job.lastRunAt),
    created_at: iso(job.createdAt),
    updated_at: iso(job.updatedAt),
    tenant_id: job.tenantId,
    created_by: job.createdBy,
    next_runs: upcoming,
    signing_secret_previous_expires_at:
      job.signingSecretPrevious !== null && job.signingSecretPreviousExpiresAt && job.signingSecretPreviousExpiresAt > now
        ? iso(job.signingSecretPreviousExpiresAt)
        : null,
  };
}

export function toRun(run: JobRun, isSecret: SecretHeaderMatcher = defaultSecretMatcher): RunOutput {
  return {
    id: run.id,
    job_id: run.jobId,
    trigger_type: run.triggerType === "manual" ? "manual" : "scheduled",
    scheduled_for: iso(run.scheduledFor),
    status: run.status as RunOutput["status"],
    attempt_number: run.attemptNumber,
    max_attempts: run.maxAttempts,
    request_method: run.requestMethod,
    request_url: run.requestUrl,
    request_headers: maskHeaders(stringRecord(run.requestHeaders), isSecret),
    request_body: (run.requestBody ?? null) as RunOutput["request_body"],
    response_status_code: run.responseStatusCode,
    response_headers: stringListRecord(run.responseHeaders),
    response_body: run.responseBody,
    response_body_truncated: run.responseBodyTruncated,
    response_body_bytes: run.responseBodyBytes,
    error_message: run.errorMessage,
    worker_id: run.workerId,
    started_at: iso(run.startedAt),
    finished_at: isoOrNull(run.finishedAt),
    duration_ms: run.durationMs,
  };
}

export function toAttempt(a: JobRunAttempt): RunAttemptOutput {
  return {
    attempt_number: a.attemptNumber,
    outcome: a.outcome as RunAttemptOutput["outcome"],
    response_status_code: a.responseStatusCode,
    error_message: a.errorMessage,
    started_at: iso(a.startedAt),
    finished_at: iso(a.finishedAt),
    duration_ms: a.durationMs,
  };
}

export function toRunDetail(run: JobRun & { attempts: JobRunAttempt[] }, isSecret: SecretHeaderMatcher = defaultSecretMatcher): RunDetailOutput {
  return { ...toRun(run, isSecret), attempts: run.attempts.map(toAttempt) };
}

export function apiKeyState(key: Pick<ApiKey, "revokedAt" | "expiresAt">, now: Date = new Date()): ApiKeyOutput["state"] {
  if (key.revokedAt) return "revoked";
  if (key.expiresAt && key.expiresAt.getTime() <= now.getTime()) return "expired";
  return "active";
}

export function toApiKey(key: ApiKey, now: Date = new Date()): ApiKeyOutput {
  return {
    id: key.id,
    name: key.name,
    key_prefix: key.keyPrefix,
    scopes: key.scopes.filter(isScope),
    tenant_id: key.tenantId,
    created_by: key.createdBy,
    last_used_at: isoOrNull(key.lastUsedAt),
    expires_at: isoOrNull(key.expiresAt),
    revoked_at: isoOrNull(key.revokedAt),
    created_at: iso(key.createdAt),
    state: apiKeyState(key, now),
  };
}
