// Examples and long descriptions for the OpenAPI document, keyed by procedure path. The examples are validated
// against the document's own schemas in a test, so they cannot drift from the wire format.
const JOB_ID = "3f8c2b1e-5d4a-4c6b-9e2f-1a2b3c4d5e6f";
const RUN_ID = "8a1d6c3e-2b7f-4e9a-8c5d-0f1e2d3c4b5a";
const KEY_ID = "c4e2a9b7-1f3d-4a6c-8e5b-9d0f1a2b3c4d";
const TENANT_ID = "0b9e8d7c-6a5f-4e3d-9c2b-1a0f9e8d7c6b";
const USER_ID = "5e4d3c2b-1a0f-4e9d-8c7b-6a5f4e3d2c1b";
const TRIGGER_ID = "7f6e5d4c-3b2a-4190-8f7e-6d5c4b3a2918";

export const exampleJob = {
  id: JOB_ID,
  name: "Nightly report",
  method: "POST",
  url: "https://example.com/hooks/report",
  headers: { "X-Source": "btick" },
  body: { report: "daily" },
  cron_expression: "0 2 * * *",
  timezone: "Europe/Berlin",
  retry_max: 3,
  timeout_seconds: 30,
  enabled: true,
  concurrency_policy: "forbid",
  misfire_policy: "fire_once",
  misfire_catch_up_max: 10,
  max_runs: null,
  next_run_at: "2026-12-04T01:00:00.000Z",
  last_run_at: "2026-12-03T01:00:00.412Z",
  created_at: "2026-11-20T09:15:02.118Z",
  updated_at: "2026-11-20T09:15:02.118Z",
  tenant_id: TENANT_ID,
  created_by: `api_key:${KEY_ID}`,
  next_runs: [
    "2026-12-04T01:00:00.000Z",
    "2026-12-05T01:00:00.000Z",
    "2026-12-06T01:00:00.000Z",
    "2026-12-07T01:00:00.000Z",
    "2026-12-08T01:00:00.000Z",
  ],
  signing_secret_previous_expires_at: null,
};

const SIGNING_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw5tcmrNrEc1M=";

export const exampleRun = {
  id: RUN_ID,
  job_id: JOB_ID,
  trigger_type: "scheduled",
  scheduled_for: "2026-12-03T01:00:00.000Z",
  status: "success",
  attempt_number: 2,
  max_attempts: 4,
  request_method: "POST",
  request_url: "https://example.com/hooks/report",
  request_headers: { "X-Source": "btick" },
  request_body: { report: "daily" },
  response_status_code: 200,
  response_headers: { "content-type": ["application/json"] },
  response_body: '{"ok":true}',
  response_body_truncated: false,
  response_body_bytes: 11,
  error_message: null,
  worker_id: "worker-1",
  started_at: "2026-12-03T01:00:00.412Z",
  finished_at: "2026-12-03T01:00:01.993Z",
  duration_ms: 1581,
};

export const exampleRunDetail = {
  ...exampleRun,
  attempts: [
    {
      attempt_number: 1,
      outcome: "http_error",
      response_status_code: 503,
      error_message: "HTTP 503",
      started_at: "2026-12-03T01:00:00.412Z",
      finished_at: "2026-12-03T01:00:00.530Z",
      duration_ms: 118,
    },
    {
      attempt_number: 2,
      outcome: "success",
      response_status_code: 200,
      error_message: null,
      started_at: "2026-12-03T01:00:01.530Z",
      finished_at: "2026-12-03T01:00:01.993Z",
      duration_ms: 463,
    },
  ],
};

export const exampleApiKey = {
  id: KEY_ID,
  name: "CI pipeline",
  key_prefix: "skd_1a2b3c4d5e6f",
  scopes: ["jobs:read", "jobs:trigger"],
  tenant_id: TENANT_ID,
  created_by: `user:${USER_ID}`,
  last_used_at: null,
  expires_at: "2030-01-01T00:00:00.000Z",
  revoked_at: null,
  created_at: "2026-11-20T09:20:44.305Z",
  state: "active",
};

const envelope = (status: number, code: string, message: string, validation?: { field: string; message: string }[]) => ({
  status,
  error: { error_code: code, error_message: message },
  ...(validation ? { validation } : {}),
});

export interface OperationDocs {
  description: string;
  /** Request body example (operations with a JSON body). */
  request?: unknown;
  /** Success response example. */
  response: unknown;
  /** Error examples by status (defaults apply for the rest). */
  errors?: Record<string, unknown>;
}

const missingScope = (scope: string) => envelope(403, "FORBIDDEN", `this operation requires the ${scope} scope`);
const notFound = (what: string) => envelope(404, "NOT_FOUND", `${what} not found`);
const badId = (name: string) => envelope(400, "INVALID_REQUEST", `invalid ${name}`);
const badLimit = envelope(400, "INVALID_REQUEST", "Validation failed", [{ field: "limit", message: "must be an integer between 1 and 500" }]);

export const OPERATION_DOCS: Record<string, OperationDocs> = {
  "health.check": {
    description: "Returns `{\"status\": \"ok\"}` while the API process serves requests. Needs no API key and does not check the database (use `GET /readyz` for that).",
    response: { status: "ok" },
  },
  "jobs.create": {
    description:
      "Creates a recurring HTTP job. `cron_expression` is a 5-field (or 6-field, with seconds) cron expression evaluated in `timezone` (IANA, default UTC). " +
      "The job fires at once when enabled: `next_run_at` is the next slot after now and `next_runs` lists the next five. " +
      "Validation reports every invalid field at once. Requires the `jobs:write` scope.",
    request: {
      name: "Nightly report",
      method: "POST",
      url: "https://example.com/hooks/report",
      cron_expression: "0 2 * * *",
      timezone: "Europe/Berlin",
      headers: { "X-Source": "btick" },
      body: { report: "daily" },
      retry_max: 3,
      timeout_seconds: 30,
    },
    response: { job: exampleJob, signing_secret: SIGNING_SECRET },
    errors: {
      "400": envelope(400, "INVALID_REQUEST", "Validation failed", [
        { field: "name", message: "must not be empty" },
        { field: "cron_expression", message: "never fires" },
      ]),
      "403": missingScope("jobs:write"),
    },
  },
  "jobs.list": {
    description: "Lists the tenant's jobs, newest first, one page at a time. Pass the previous page's `next_cursor` as `cursor` for the next page; it is null on the last page. Requires `jobs:read`.",
    response: { jobs: [exampleJob], next_cursor: "eyJ0IjoiMjAyNi0xMS0yMFQwOToxNTowMi4xMThaIn0" },
    errors: { "400": badLimit, "403": missingScope("jobs:read") },
  },
  "jobs.get": {
    description: "Returns one job with its next five fire times. Another tenant's job is reported as not found. Requires `jobs:read`.",
    response: { job: exampleJob },
    errors: { "400": badId("jobId"), "403": missingScope("jobs:read"), "404": notFound("job") },
  },
  "jobs.update": {
    description:
      "Applies a JSON merge patch (RFC 7396) to the job's top-level fields: an absent field stays unchanged, a given one replaces the stored value, and `null` clears a nullable field (`body`, `max_runs`; other fields cannot be null). " +
      "`headers` and `body` are values, replaced whole rather than merged: the body is an opaque payload sent as is, and headers carry the mask semantics of secret values (a secret header sent back as `***` keeps its stored value; an omitted header is removed). " +
      "The result is validated like a new job. A patch that changes nothing leaves the job untouched (`updated_at` included). `next_run_at` is recomputed only when `cron_expression`, `timezone` or `enabled` change. " +
      "Send `Content-Type: application/json` or `application/merge-patch+json`. Requires `jobs:write`.",
    request: { cron_expression: "*/15 * * * *", retry_max: 1, body: null },
    response: { job: { ...exampleJob, cron_expression: "*/15 * * * *", retry_max: 1, body: null } },
    errors: {
      "400": envelope(400, "INVALID_REQUEST", "Validation failed", [{ field: "timezone", message: "must be a valid IANA time zone" }]),
      "403": missingScope("jobs:write"),
      "404": notFound("job"),
    },
  },
  "jobs.delete": {
    description: "Deletes the job together with its runs and pending manual triggers. Requires `jobs:delete`.",
    response: { message: "job deleted" },
    errors: { "400": badId("jobId"), "403": missingScope("jobs:delete"), "404": notFound("job") },
  },
  "jobs.pause": {
    description: "Disables the job: `enabled` becomes false and `next_run_at` null. A run already in progress finishes. Requires `jobs:write`.",
    response: { job: { ...exampleJob, enabled: false, next_run_at: null } },
    errors: { "400": badId("jobId"), "403": missingScope("jobs:write"), "404": notFound("job") },
  },
  "jobs.resume": {
    description: "Enables the job again from the next slot after now (missed slots are not replayed). Requires `jobs:write`.",
    response: { job: exampleJob },
    errors: { "400": badId("jobId"), "403": missingScope("jobs:write"), "404": notFound("job") },
  },
  "jobs.trigger": {
    description: "Queues a manual run that a worker picks up at once; allowed while the job is paused. Returns 202 with the trigger's id. Requires `jobs:trigger`.",
    response: { message: "manual trigger accepted", trigger_id: TRIGGER_ID },
    errors: { "400": badId("jobId"), "403": missingScope("jobs:trigger"), "404": notFound("job") },
  },
  "jobs.rotateSigningSecret": {
    description:
      "Generates a new signing secret for the job's outgoing requests and returns it once. Until `signing_secret_previous_expires_at`, requests carry two signatures (old and new secret) so targets can switch over. Requires `jobs:write`.",
    request: { previous_secret_expires_in_seconds: 86400 },
    response: { job: { ...exampleJob, signing_secret_previous_expires_at: "2026-12-04T10:00:00.000Z" }, signing_secret: SIGNING_SECRET },
    errors: { "400": badId("jobId"), "403": missingScope("jobs:write"), "404": notFound("job") },
  },
  "jobs.previewSchedule": {
    description:
      "Describes a cron expression in plain English and lists its next 5 fire times in the given time zone, or says why it is not acceptable (`valid: false` with the field and message job validation would give). Requires `jobs:read`.",
    request: { cron_expression: "0 2 * * 1-5", timezone: "Europe/Berlin" },
    response: {
      valid: true,
      field: null,
      message: null,
      expression: "0 2 * * 1-5",
      timezone: "Europe/Berlin",
      description: "At 02:00 AM, Monday through Friday",
      next_runs: [
        "2026-12-03T01:00:00.000Z",
        "2026-12-04T01:00:00.000Z",
        "2026-12-07T01:00:00.000Z",
        "2026-12-08T01:00:00.000Z",
        "2026-12-09T01:00:00.000Z",
      ],
    },
    errors: { "403": missingScope("jobs:read") },
  },
  "runs.list": {
    description: "Lists a job's runs, newest first (by start time), optionally filtered by `status` and `trigger_type`. Requires `runs:read`.",
    response: { runs: [exampleRun], next_cursor: null },
    errors: { "400": badId("jobId"), "403": missingScope("runs:read"), "404": notFound("job") },
  },
  "runs.get": {
    description: "Returns one run with every HTTP attempt it made (retries included). Requires `runs:read`.",
    response: { run: exampleRunDetail },
    errors: { "400": badId("runId"), "403": missingScope("runs:read"), "404": notFound("run") },
  },
  "apiKeys.create": {
    description:
      "Mints an API key for the caller's tenant. Its scopes must be a subset of the caller's (else 403). The raw key is returned only in this response; the server stores a hash. Requires `keys:write`.",
    request: { name: "CI pipeline", scopes: ["jobs:read", "jobs:trigger"], expires_at: "2030-01-01T00:00:00.000Z" },
    response: { api_key: exampleApiKey, raw_key: "skd_1a2b3c4d5e6f_9XJ2kq7Vb3nW0pLr8sTd5yZc4hGm1aFe" },
    errors: {
      "400": envelope(400, "INVALID_REQUEST", "Validation failed", [{ field: "scopes", message: "must have at least 1 items" }]),
      "403": envelope(403, "FORBIDDEN", "cannot grant scopes the caller does not hold: keys:write"),
      "429": envelope(429, "TOO_MANY_REQUESTS", "API key quota reached: a tenant can have at most 100 active API keys; revoke keys before creating more"),
    },
  },
  "apiKeys.list": {
    description: "Lists the tenant's API keys, newest first, revoked and expired ones included (see `state`). Secrets are never returned. Requires `keys:read`.",
    response: { api_keys: [exampleApiKey], next_cursor: null },
    errors: { "400": badLimit, "403": missingScope("keys:read") },
  },
  "apiKeys.revoke": {
    description: "Revokes an API key at once; revoking an already revoked key changes nothing. Requires `keys:write`.",
    response: { api_key: { ...exampleApiKey, state: "revoked", revoked_at: "2026-12-03T10:00:00.000Z" } },
    errors: { "400": badId("keyId"), "403": missingScope("keys:write"), "404": notFound("api key") },
  },
};

/** Default error examples by status. */
export const DEFAULT_ERROR_EXAMPLES: Record<string, unknown> = {
  "400": envelope(400, "INVALID_REQUEST", "Validation failed", [{ field: "limit", message: "must be an integer between 1 and 500" }]),
  "401": envelope(401, "UNAUTHORIZED", "missing bearer token"),
  "403": envelope(403, "FORBIDDEN", "this operation requires the jobs:read scope"),
  "404": envelope(404, "NOT_FOUND", "job not found"),
  "413": envelope(413, "PAYLOAD_TOO_LARGE", "request body too large (limit 1 MiB)"),
  "415": envelope(
    415,
    "UNSUPPORTED_MEDIA_TYPE",
    'unsupported content type "text/plain": send the body as JSON (Content-Type: application/json, or application/merge-patch+json for PATCH)',
  ),
  "429": envelope(429, "TOO_MANY_REQUESTS", "rate limit exceeded: at most 600 requests per minute; retry in 12 seconds"),
  "500": envelope(500, "INTERNAL_SERVER_ERROR", "internal server error"),
  "503": envelope(503, "SERVICE_UNAVAILABLE", "service unavailable: the database cannot be reached; retry later"),
};

export const TAG_DESCRIPTIONS: Record<string, string> = {
  health: "Liveness of the API.",
  jobs: "Recurring HTTP jobs: what to call, when (cron + time zone) and how often to retry.",
  runs: "The history of a job's executions, with every HTTP attempt.",
  "api-keys": "API keys of the tenant. Each key holds scopes; each operation needs exactly one.",
};
