// The job form's submitted values: parsing into API input, and the API's validation issues mapped back to fields.
import { TRPCError } from "@trpc/server";

import { envelopeFromTRPCError } from "@btick/contract";

export const HTTP_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] as const;

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
  timezone: "UTC",
  retry_max: "0",
  timeout_seconds: "60",
  enabled: true,
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
  const retry = intField(v.retry_max);
  const timeout = intField(v.timeout_seconds);
  if (retry !== undefined) input.retry_max = retry;
  if (timeout !== undefined) input.timeout_seconds = timeout;
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
