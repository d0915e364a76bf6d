// Job input/output schemas. Field names are the wire names (snake_case).
import { z } from "zod";

import { checkSchedule, isValidTimeZone, normalizeTimeZone } from "@btick/scheduling";

import { jsonValue, noCoerce, nextCursorOutput, pageCursor, pageLimit, pathId, queryBoolean, timestamp, typeError } from "./common.ts";
import { unsafeIntegerPaths } from "./json.ts";

export const HTTP_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];
const METHODS_WITHOUT_BODY: readonly string[] = ["GET", "HEAD"];

export const FORBIDDEN_HEADERS = ["host", "content-length", "transfer-encoding", "connection"] as const;
export const MAX_HEADERS = 50;
export const MAX_BODY_BYTES = 64 * 1024;
const HEADER_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** What the worker's HTTP client can send in a header value: visible ASCII, space and tab. */
const HEADER_VALUE = /^[\t\x20-\x7e]*$/;

/** Headers the worker adds to identify the job, run and slot (and sign the request); a job cannot override them. */
export function isReservedHeader(name: string): boolean {
  const n = name.toLowerCase();
  return n.startsWith("x-btick-") || n.startsWith("webhook-") || n === "idempotency-key";
}

function isHttpUrl(v: string): boolean {
  // The WHATWG parser would read "https:///path" as host "path"; require a non-empty authority.
  if (!/^https?:\/\/[^/?#\s]/i.test(v)) return false;
  try {
    const u = new URL(v);
    return (u.protocol === "http:" || u.protocol === "https:") && u.hostname !== "";
  } catch {
    return false;
  }
}

/** Longest accepted text of job fields (characters), for validation and forms. */
export const JOB_TEXT_LIMITS = { name: 200, url: 2048, cron_expression: 200, timezone: 64 } as const;

/** Inclusive bounds of the integer job fields, for validation and forms. */
export const JOB_FIELD_RANGES = {
  retry_max: { min: 0, max: 10 },
  timeout_seconds: { min: 1, max: 900 },
  misfire_catch_up_max: { min: 1, max: 100 },
  max_runs: { min: 1, max: 100_000 },
} as const;

const name = z
  .string({ error: typeError("a string") })
  .trim()
  .min(1, "must not be empty")
  .max(JOB_TEXT_LIMITS.name, `must be at most ${JOB_TEXT_LIMITS.name} characters`);

const method = z
  .string({ error: typeError("a string") })
  .trim()
  .toUpperCase()
  .pipe(z.enum(HTTP_METHODS, { error: `must be one of ${HTTP_METHODS.join(", ")}` }))
  .meta({ description: `One of ${HTTP_METHODS.join(", ")} (case-insensitive).`, examples: ["POST"] });

const url = z
  .string({ error: typeError("a string") })
  .trim()
  .min(1, "must not be empty")
  .max(JOB_TEXT_LIMITS.url, `must be at most ${JOB_TEXT_LIMITS.url} characters`)
  .refine(isHttpUrl, "must be an absolute http:// or https:// URL with a host")
  .superRefine((v, ctx) => {
    if (!isHttpUrl(v)) return;
    // The worker would not send them (and job.url / run.request_url would show them): they belong in a header.
    if (/^https?:\/\/[^/?#]*@/i.test(v)) {
      ctx.addIssue({ code: "custom", message: "must not contain credentials (user:password@); send them in an Authorization header instead" });
    }
    if (new URL(v).port === "0") ctx.addIssue({ code: "custom", message: "must not use port 0; use a port between 1 and 65535" });
  })
  .meta({
    description:
      `The absolute http:// or https:// URL to call, at most ${JOB_TEXT_LIMITS.url} characters. It must not carry credentials (user:password@: send them in an Authorization header, which is stored encrypted) nor use port 0.`,
  });

const headers = z
  .record(z.string(), z.string({ error: "must be a string" }), { error: typeError("an object of string values") })
  .superRefine((h, ctx) => {
    const entries = Object.entries(h);
    if (entries.length > MAX_HEADERS) ctx.addIssue({ code: "custom", message: `must have at most ${MAX_HEADERS} entries` });
    for (const [k, v] of entries) {
      if (k.length === 0 || k.length > 256 || !HEADER_TOKEN.test(k)) {
        ctx.addIssue({ code: "custom", path: [k], message: "is not a valid header name" });
      } else if ((FORBIDDEN_HEADERS as readonly string[]).includes(k.toLowerCase())) {
        ctx.addIssue({ code: "custom", path: [k], message: "cannot be set; it is managed by the HTTP client" });
      } else if (isReservedHeader(k)) {
        ctx.addIssue({ code: "custom", path: [k], message: "cannot be set; BTick sets it on every request" });
      }
      if (v.length > 8192) ctx.addIssue({ code: "custom", path: [k], message: "must be at most 8192 characters" });
      else if (/[\r\n]/.test(v)) ctx.addIssue({ code: "custom", path: [k], message: "must not contain CR or LF" });
      else if (!HEADER_VALUE.test(v)) ctx.addIssue({ code: "custom", path: [k], message: "must contain only visible ASCII characters, spaces and tabs" });
    }
  })
  .meta({
    description:
      "Request headers: name → value, at most 50. Names are HTTP tokens; values hold only visible ASCII characters, spaces and tabs, at most 8192 characters. Values of secret-looking headers (Authorization, *-Token, …) are stored encrypted and shown as ***.",
  });

const UNSAFE_INTEGER_MESSAGE = `must be an integer between ${-Number.MAX_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER} (larger ones lose precision); send it as a string`;

const body = jsonValue
  .nullable()
  .superRefine((b, ctx) => {
    for (const path of unsafeIntegerPaths(b)) ctx.addIssue({ code: "custom", path, message: UNSAFE_INTEGER_MESSAGE });
    if (b !== null && Buffer.byteLength(JSON.stringify(b), "utf8") > MAX_BODY_BYTES) {
      ctx.addIssue({ code: "custom", message: `must be at most ${MAX_BODY_BYTES} bytes when serialized` });
    }
  })
  .meta({
    description: `The JSON value sent as the request body (null: no body; not allowed with GET and HEAD), at most ${MAX_BODY_BYTES} bytes serialized. Integers must lie within ±${Number.MAX_SAFE_INTEGER}: send larger ones (ids, amounts) as strings.`,
  });

const cronExpression = z
  .string({ error: typeError("a string") })
  .trim()
  .min(1, "must not be empty")
  .max(JOB_TEXT_LIMITS.cron_expression, `must be at most ${JOB_TEXT_LIMITS.cron_expression} characters`);

const timezone = z
  .string({ error: typeError("a string") })
  .trim()
  .min(1, { message: "must not be empty", abort: true })
  .max(JOB_TEXT_LIMITS.timezone, { message: `must be at most ${JOB_TEXT_LIMITS.timezone} characters`, abort: true })
  .refine(isValidTimeZone, "must be an IANA time zone such as UTC or Europe/Berlin")
  .transform(normalizeTimeZone);

const intRange = ({ min, max }: { min: number; max: number }) =>
  noCoerce(
    z.int({ error: typeError("an integer") }).min(min, `must be between ${min} and ${max}`).max(max, `must be between ${min} and ${max}`),
  );

const retryMax = intRange(JOB_FIELD_RANGES.retry_max);
const timeoutSeconds = intRange(JOB_FIELD_RANGES.timeout_seconds);
const enabled = noCoerce(z.boolean({ error: typeError("true or false") }));

export const CONCURRENCY_POLICIES = ["forbid", "allow", "replace"] as const;
export type ConcurrencyPolicy = (typeof CONCURRENCY_POLICIES)[number];
export const MISFIRE_POLICIES = ["fire_once", "skip", "catch_up"] as const;
export type MisfirePolicy = (typeof MISFIRE_POLICIES)[number];

const concurrencyPolicy = z
  .enum(CONCURRENCY_POLICIES, { error: `must be one of ${CONCURRENCY_POLICIES.join(", ")}` })
  .meta({
    description:
      "A slot that comes due while the previous run is still running: forbid = record it as a skipped run, allow = run concurrently, replace = cancel the running run and start the new one.",
  });
const misfirePolicy = z
  .enum(MISFIRE_POLICIES, { error: `must be one of ${MISFIRE_POLICIES.join(", ")}` })
  .meta({
    description:
      "Slots missed while no worker ran: fire_once = one run for the oldest missed slot, skip = record one skipped run and continue with the next future slot, catch_up = run every missed slot (at most misfire_catch_up_max), oldest first.",
  });
const misfireCatchUpMax = intRange(JOB_FIELD_RANGES.misfire_catch_up_max);
const maxRuns = intRange(JOB_FIELD_RANGES.max_runs).nullable();

/** What create assumes for an omitted optional field. */
export const JOB_DEFAULTS = {
  timezone: "UTC",
  retry_max: 0,
  timeout_seconds: 60,
  enabled: true,
  concurrency_policy: "forbid",
  misfire_policy: "fire_once",
  misfire_catch_up_max: 10,
  max_runs: null,
} as const satisfies {
  timezone: string;
  retry_max: number;
  timeout_seconds: number;
  enabled: boolean;
  concurrency_policy: ConcurrencyPolicy;
  misfire_policy: MisfirePolicy;
  misfire_catch_up_max: number;
  max_runs: number | null;
};

export interface FieldIssue {
  field: string;
  message: string;
}

/**
 * Rules that involve more than one field, checked on the complete (created or merged) job. Inputs may be
 * unparsed when a field failed its own check, so every value is inspected defensively.
 */
export function crossFieldIssues(job: { method?: unknown; body?: unknown; cron_expression?: unknown; timezone?: unknown }, now = new Date()): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const m = typeof job.method === "string" ? job.method.trim().toUpperCase() : null;
  if (m !== null && METHODS_WITHOUT_BODY.includes(m) && job.body !== null && job.body !== undefined) {
    issues.push({ field: "body", message: `body is not allowed for ${m} requests` });
  }
  const cron = typeof job.cron_expression === "string" ? job.cron_expression.trim() : null;
  const tz = job.timezone === undefined ? "UTC" : typeof job.timezone === "string" ? job.timezone.trim() : null;
  if (cron && cron.length <= 200) {
    // With a bad timezone (reported on its own field) the expression is still checked, in UTC.
    const check = checkSchedule(cron, tz && isValidTimeZone(tz) ? tz : "UTC", now);
    if (!check.ok && check.field === "cron_expression") issues.push({ field: check.field, message: check.message });
  }
  return issues;
}

export const jobCreateInput = z
  .strictObject({
    name,
    method,
    url,
    headers: headers.default({}),
    body: body.default(null),
    cron_expression: cronExpression,
    timezone: timezone.default(JOB_DEFAULTS.timezone),
    retry_max: retryMax.default(JOB_DEFAULTS.retry_max),
    timeout_seconds: timeoutSeconds.default(JOB_DEFAULTS.timeout_seconds),
    enabled: enabled.default(JOB_DEFAULTS.enabled),
    concurrency_policy: concurrencyPolicy.default(JOB_DEFAULTS.concurrency_policy),
    misfire_policy: misfirePolicy.default(JOB_DEFAULTS.misfire_policy),
    misfire_catch_up_max: misfireCatchUpMax.default(JOB_DEFAULTS.misfire_catch_up_max),
    max_runs: maxRuns.default(JOB_DEFAULTS.max_runs),
  })
  .superRefine(
    (job, ctx) => {
      for (const i of crossFieldIssues(job)) ctx.addIssue({ code: "custom", path: [i.field], message: i.message });
    },
    // Run even when single fields failed, so one response lists every problem.
    { when: (payload) => typeof payload.value === "object" && payload.value !== null },
  );
export type JobCreateInput = z.infer<typeof jobCreateInput>;

/**
 * PATCH body: JSON merge patch of the create fields. Absent = unchanged; `body: null` clears the body.
 * Cross-field rules are checked here on what the patch itself holds, and again by the service on the merged job.
 */
export const jobPatchFields = z.strictObject({
  name: name.optional(),
  method: method.optional(),
  url: url.optional(),
  headers: headers.optional(),
  body: body.optional(),
  cron_expression: cronExpression.optional(),
  timezone: timezone.optional(),
  retry_max: retryMax.optional(),
  timeout_seconds: timeoutSeconds.optional(),
  enabled: enabled.optional(),
  concurrency_policy: concurrencyPolicy.optional(),
  misfire_policy: misfirePolicy.optional(),
  misfire_catch_up_max: misfireCatchUpMax.optional(),
  max_runs: maxRuns.optional(),
});
export type JobPatch = z.infer<typeof jobPatchFields>;

export const jobIdInput = z.object({ jobId: pathId("jobId") });
export const jobUpdateInput = jobPatchFields
  .extend({ jobId: pathId("jobId") })
  .superRefine(
    (patch, ctx) => {
      for (const i of crossFieldIssues(patch)) ctx.addIssue({ code: "custom", path: [i.field], message: i.message });
    },
    { when: (payload) => typeof payload.value === "object" && payload.value !== null },
  );
export type JobUpdateInput = z.infer<typeof jobUpdateInput>;

export const jobListInput = z
  .object({
  limit: pageLimit(50),
  cursor: pageCursor,
  enabled: queryBoolean.meta({ description: "Only enabled (true) or paused (false) jobs." }),
  q: z
    .string({ error: "must be a string" })
    .trim()
    .max(200, "must be at most 200 characters")
    .optional()
    .meta({ description: "Case-insensitive substring of the job name." }),
  })
  .prefault({});
export type JobListInput = z.infer<typeof jobListInput>;

export const jobOutput = z
  .object({
    id: z.uuid(),
    name: z.string(),
    method: z.string(),
    url: z.string(),
    headers: z.record(z.string(), z.string()),
    body: jsonValue.nullable(),
    cron_expression: z.string(),
    timezone: z.string(),
    retry_max: z.int(),
    timeout_seconds: z.int(),
    enabled: z.boolean(),
    concurrency_policy: z.enum(CONCURRENCY_POLICIES),
    misfire_policy: z.enum(MISFIRE_POLICIES),
    misfire_catch_up_max: z.int(),
    max_runs: z.int().nullable().meta({ description: "Keep at most this many runs of the job; null = only the global retention applies." }),
    next_run_at: timestamp.nullable(),
    last_run_at: timestamp.nullable(),
    created_at: timestamp,
    updated_at: timestamp,
    tenant_id: z.uuid(),
    created_by: z.string().nullable(),
    next_runs: z.array(timestamp).meta({ description: "The next 5 fire times computed from now (also while paused)." }),
    signing_secret_previous_expires_at: timestamp.nullable().meta({
      description: "While a signing-secret rotation is in progress: until when requests also carry a signature made with the previous secret.",
    }),
  })
  .meta({ id: "Job" });
export type JobOutput = z.infer<typeof jobOutput>;

export const jobEnvelopeOutput = z.object({ job: jobOutput });
export const jobListOutput = z.object({ jobs: z.array(jobOutput), next_cursor: nextCursorOutput });
const signingSecret = z.string().meta({
  description: "The job's Standard Webhooks signing secret (whsec_...). Shown only in this response; store it now.",
});
export const jobCreatedOutput = z.object({ job: jobOutput, signing_secret: signingSecret });
export const jobRotateSigningSecretInput = z.strictObject({
  jobId: pathId("jobId"),
  previous_secret_expires_in_seconds: noCoerce(
    z.int({ error: typeError("an integer") }).min(0, "must be between 0 and 2592000").max(2_592_000, "must be between 0 and 2592000"),
  )
    .optional()
    .meta({ description: "How long requests keep a second signature made with the old secret (0: stop at once). Default 24 hours (configurable)." }),
});
export type JobRotateSigningSecretInput = z.infer<typeof jobRotateSigningSecretInput>;
export const jobRotateSigningSecretOutput = z.object({ job: jobOutput, signing_secret: signingSecret });

export const jobTriggerOutput = z.object({ message: z.string(), trigger_id: z.uuid() });
