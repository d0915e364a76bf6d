// The job form's submitted values: parsing into API input, and the API's validation issues mapped back to fields.
import { TRPCError } from "@trpc/server";

import { envelopeFromTRPCError, JOB_DEFAULTS, type ConcurrencyPolicy, type MisfirePolicy } from "@btick/contract";

export { CONCURRENCY_POLICIES, HTTP_METHODS, JOB_FIELD_RANGES, JOB_TEXT_LIMITS, MISFIRE_POLICIES } from "@btick/contract";

/** How many empty header rows the form offers below the filled ones. */
export const SPARE_HEADER_ROWS = 2;

/** The form exactly as submitted (strings), so a failed submit re-renders what the user typed. */
export interface JobFormValues {
  name: string;
  method: string;
  url: string;
  headers: { name: string; value: string }[];
  body: string;
  cron_expression: string;
  timezone: string;
  retry_max: string;
  timeout_seconds: string;
  enabled: boolean;
  concurrency_policy: string;
  misfire_policy: string;
  misfire_catch_up_max: string;
  /** Blank: no limit (only the retention applies). */
  max_runs: string;
}

/** Field name → messages. Header rows use `headers.<name>`; problems with the header set as a whole use `headers`. */
export type FieldErrors = Record<string, string[]>;

export const NEW_JOB_DEFAULTS: JobFormValues = {
  name: "",
  method: "POST",
  url: "",
  headers: [],
  body: "",
  cron_expression: "*/5 * * * *",
  timezone: JOB_DEFAULTS.timezone,
  retry_max: String(JOB_DEFAULTS.retry_max),
  timeout_seconds: String(JOB_DEFAULTS.timeout_seconds),
  enabled: JOB_DEFAULTS.enabled,
  concurrency_policy: JOB_DEFAULTS.concurrency_policy,
  misfire_policy: JOB_DEFAULTS.misfire_policy,
  misfire_catch_up_max: String(JOB_DEFAULTS.misfire_catch_up_max),
  max_runs: "",
};

export function valuesFromJob(job: {
  name: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
  cron_expression: string;
  timezone: string;
  retry_max: number;
  timeout_seconds: number;
  enabled: boolean;
  concurrency_policy: ConcurrencyPolicy;
  misfire_policy: MisfirePolicy;
  misfire_catch_up_max: number;
  max_runs: number | null;
}): JobFormValues {
  return {
    name: job.name,
    method: job.method,
    url: job.url,
    headers: Object.entries(job.headers).map(([name, value]) => ({ name, value })),
    body: job.body === null || job.body === undefined ? "" : JSON.stringify(job.body, null, 2),
    cron_expression: job.cron_expression,
    timezone: job.timezone,
    retry_max: String(job.retry_max),
    timeout_seconds: String(job.timeout_seconds),
    enabled: job.enabled,
    concurrency_policy: job.concurrency_policy,
    misfire_policy: job.misfire_policy,
    misfire_catch_up_max: String(job.misfire_catch_up_max),
    max_runs: job.max_runs === null ? "" : String(job.max_runs),
  };
}

function str(v: unknown): string {
  if (typeof v === "string") return v;
  if (Array.isArray(v)) return typeof v[0] === "string" ? v[0] : "";
  return "";
}

function list(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v.map((x) => (typeof x === "string" ? x : ""));
  return [typeof v === "string" ? v : ""];
}

/** Reads the url-encoded form body (repeated `header_name`/`header_value` fields pair up by position). */
export function readJobForm(body: unknown): JobFormValues {
  const b = (body && typeof body === "object" ? body : {}) as Record<string, unknown>;
  const names = list(b.header_name);
  const values = list(b.header_value);
  const headers: { name: string; value: string }[] = [];
  for (let i = 0; i < Math.max(names.length, values.length); i++) {
    const name = names[i] ?? "";
    const value = values[i] ?? "";
    if (name.trim() === "" && value === "") continue;
    headers.push({ name: name.trim(), value });
  }
  return {
    name: str(b.name),
    method: str(b.method),
    url: str(b.url),
    headers,
    body: str(b.body),
    cron_expression: str(b.cron_expression),
    timezone: str(b.timezone),
    retry_max: str(b.retry_max),
    timeout_seconds: str(b.timeout_seconds),
    enabled: list(b.enabled).includes("true") || list(b.enabled).includes("on"),
    concurrency_policy: str(b.concurrency_policy),
    misfire_policy: str(b.misfire_policy),
    misfire_catch_up_max: str(b.misfire_catch_up_max),
    max_runs: str(b.max_runs),
  };
}

function add(errors: FieldErrors, field: string, message: string): void {
  (errors[field] ??= []).push(message);
}

/** An integer field: digits become a number; anything else is passed on as text so the API explains the rule. */
function intField(raw: string): number | string | undefined {
  const t = raw.trim();
  if (t === "") return undefined;
  return /^-?\d{1,9}$/.test(t) ? Number(t) : t;
}

/**
 * Turns the form into the API's job input. What the API cannot see (a header value without a name, the same
 * header twice, a body that is not JSON) is reported here as `localErrors`; everything else is left to the API.
 */
export function toJobInput(v: JobFormValues): { input: Record<string, unknown>; localErrors: FieldErrors } {
  const localErrors: FieldErrors = {};
  const headers: Record<string, string> = {};
  for (const h of v.headers) {
    if (h.name === "") {
      add(localErrors, "headers", "every header value needs a name");
      continue;
    }
    const dup = Object.keys(headers).find((k) => k.toLowerCase() === h.name.toLowerCase());
    if (dup !== undefined) add(localErrors, `headers.${h.name}`, "is listed twice");
    headers[h.name] = h.value;
  }
  let body: unknown = null;
  if (v.body.trim() !== "") {
    try {
      body = JSON.parse(v.body);
    } catch (err) {
      add(localErrors, "body", `must be valid JSON (${(err as Error).message})`);
    }
  }
  const input: Record<string, unknown> = {
    name: v.name,
    method: v.method,
    url: v.url,
    headers,
    body,
    cron_expression: v.cron_expression,
    timezone: v.timezone.trim() === "" ? "UTC" : v.timezone,
    enabled: v.enabled,
  };
  // Blank: the default on create, unchanged on edit.
  const ints = { retry_max: v.retry_max, timeout_seconds: v.timeout_seconds, misfire_catch_up_max: v.misfire_catch_up_max };
  for (const [field, raw] of Object.entries(ints)) {
    const value = intField(raw);
    if (value !== undefined) input[field] = value;
  }
  if (v.concurrency_policy !== "") input.concurrency_policy = v.concurrency_policy;
  if (v.misfire_policy !== "") input.misfire_policy = v.misfire_policy;
  // Blank run limit: none (null clears a limit on edit).
  input.max_runs = intField(v.max_runs) ?? null;
  return { input, localErrors };
}

/**
 * A field name no job has: adding it to an input makes the API's strict validation fail for sure, so its other
 * issues can be collected without creating or changing anything (used when the form already has local errors).
 */
export const VALIDATE_ONLY_FIELD = "__validate_only";

/** The API's per-field validation issues, or null when the error is not a validation failure. */
export function fieldErrorsFrom(err: unknown): FieldErrors | null {
  if (!(err instanceof TRPCError)) return null;
  const env = envelopeFromTRPCError(err);
  if (env.status !== 400 || !env.validation) return null;
  const errors: FieldErrors = {};
  for (const issue of env.validation) {
    if (issue.field === VALIDATE_ONLY_FIELD) continue;
    add(errors, issue.field, issue.message);
  }
  return errors;
}

export function mergeErrors(a: FieldErrors, b: FieldErrors): FieldErrors {
  const out: FieldErrors = {};
  for (const src of [a, b]) for (const [k, msgs] of Object.entries(src)) for (const m of msgs) if (!out[k]?.includes(m)) add(out, k, m);
  return out;
}

/** Messages for a field, e.g. `headers.X-Foo`. */
export function errorsFor(errors: FieldErrors, field: string): string[] {
  return errors[field] ?? [];
}

/** Issues on `headers.<name>` for names that no longer appear as a row (shown with the headers group). */
export function orphanHeaderErrors(errors: FieldErrors, rows: { name: string }[]): string[] {
  const names = new Set(rows.map((r) => r.name));
  return Object.entries(errors)
    .filter(([k]) => k.startsWith("headers.") && !names.has(k.slice("headers.".length)))
    .flatMap(([k, msgs]) => msgs.map((m) => `${k.slice("headers.".length)}: ${m}`));
}
