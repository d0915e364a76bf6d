// The error envelope shared by every REST error:
//   {"status": 400, "error": {"error_code": "INVALID_REQUEST", "error_message": "Validation failed"},
//    "validation": [{"field": "cron_expression", "message": "never fires"}]}
// `validation` is present only for validation failures.
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { z } from "zod";

import { isDatabaseTimeout } from "@btick/db";

import type { FieldIssue } from "./schemas/jobs.ts";

export type { FieldIssue };

export interface ErrorEnvelope {
  status: number;
  error: { error_code: string; error_message: string };
  validation?: FieldIssue[];
}

/** The `error_code` of each status the API answers with; every other status is INTERNAL_SERVER_ERROR. */
export const ERROR_CODES_BY_STATUS = {
  400: "INVALID_REQUEST",
  401: "UNAUTHORIZED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  405: "NOT_ALLOWED",
  408: "REQUEST_TIMEOUT",
  409: "CONFLICT",
  413: "PAYLOAD_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
  429: "TOO_MANY_REQUESTS",
  431: "REQUEST_HEADER_FIELDS_TOO_LARGE",
  503: "SERVICE_UNAVAILABLE",
} as const satisfies Record<number, string>;

export function errorCodeForStatus(status: number): string {
  return (ERROR_CODES_BY_STATUS as Record<number, string>)[status] ?? "INTERNAL_SERVER_ERROR";
}

export const INTERNAL_ERROR_MESSAGE = "internal server error";

/** The most problems a `validation` list spells out; one more entry counts the rest. */
export const MAX_VALIDATION_ISSUES = 50;

/** The first MAX_VALIDATION_ISSUES issues, plus `{field: "*", message: "N more problems not listed …"}` when cut. */
export function capIssues(issues: readonly FieldIssue[]): FieldIssue[] {
  if (issues.length <= MAX_VALIDATION_ISSUES) return [...issues];
  const more = issues.length - MAX_VALIDATION_ISSUES;
  return [
    ...issues.slice(0, MAX_VALIDATION_ISSUES),
    { field: "*", message: `${more} more problem${more === 1 ? "" : "s"} not listed (only the first ${MAX_VALIDATION_ISSUES} are)` },
  ];
}

/** Builds an envelope; `validation` is included only when given (at most MAX_VALIDATION_ISSUES entries + 1). */
export function errorEnvelope(status: number, message: string, validation?: readonly FieldIssue[]): ErrorEnvelope {
  const env: ErrorEnvelope = { status, error: { error_code: errorCodeForStatus(status), error_message: message } };
  if (validation) env.validation = capIssues(validation);
  return env;
}

/** Thrown (as the cause of a BAD_REQUEST TRPCError) by rules checked outside the input schema. */
export class ValidationFailure extends Error {
  constructor(readonly issues: FieldIssue[]) {
    super("Validation failed");
    this.name = "ValidationFailure";
  }
}

export function validationError(issues: FieldIssue[]): TRPCError {
  return new TRPCError({ code: "BAD_REQUEST", message: "Validation failed", cause: new ValidationFailure(issues) });
}

const PATH_IDS = new Set(["jobId", "runId", "keyId"]);

/** The most calls one tRPC batch request may hold (the /trpc adapter's `maxBatchSize`). */
export const TRPC_MAX_BATCH_SIZE = 50;

/** What tRPC says when a batch is over `maxBatchSize`; answered in our own words. */
const TRPC_BATCH_TOO_LARGE = "Batch call exceeds maximum size";

function fieldName(path: readonly PropertyKey[]): string {
  return path.map(String).join(".");
}

/** Turns zod's default wording into the short style used everywhere else. Custom messages pass through. */
function humanMessage(issue: z.core.$ZodIssue): string {
  const msg = issue.message;
  switch (issue.code) {
    case "invalid_type":
      if (/received undefined/.test(msg)) return "is required";
      if (msg.startsWith("Invalid input")) return `must be of type ${issue.expected}`;
      return msg;
    case "too_big":
      if (!msg.startsWith("Too big")) return msg;
      return issue.origin === "string"
        ? `must be at most ${String(issue.maximum)} characters`
        : issue.origin === "array"
          ? `must have at most ${String(issue.maximum)} items`
          : `must be at most ${String(issue.maximum)}`;
    case "too_small":
      if (!msg.startsWith("Too small")) return msg;
      return issue.origin === "string"
        ? Number(issue.minimum) <= 1
          ? "must not be empty"
          : `must be at least ${String(issue.minimum)} characters`
        : issue.origin === "array"
          ? `must have at least ${String(issue.minimum)} items`
          : `must be at least ${String(issue.minimum)}`;
    case "invalid_value":
      return msg.startsWith("Invalid") ? `must be one of ${issue.values.map(String).join(", ")}` : msg;
    case "invalid_format":
      return msg.startsWith("Invalid") ? `must be a valid ${issue.format}` : msg;
    default:
      return msg.startsWith("Invalid input") ? "is invalid" : msg;
  }
}

/** Flattens zod issues into `{field, message}` pairs (unknown keys: one entry per key). */
export function zodFieldIssues(issues: readonly z.core.$ZodIssue[]): FieldIssue[] {
  const out: FieldIssue[] = [];
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) out.push({ field: fieldName([...issue.path, key]), message: "is not a known field" });
    } else {
      out.push({ field: fieldName(issue.path) || "body", message: humanMessage(issue) });
    }
  }
  return out;
}

function isZodError(e: unknown): e is z.ZodError {
  return e instanceof z.ZodError || (e instanceof Error && e.name === "ZodError" && Array.isArray((e as z.ZodError).issues));
}

export const DATABASE_UNAVAILABLE_MESSAGE = "service unavailable: the database cannot be reached; retry later";
export const DATABASE_TIMEOUT_MESSAGE = "service unavailable: the database did not answer in time; retry later";

// Prisma's codes for "cannot reach / lost the server", and the driver adapter's kinds for the same.
const UNREACHABLE_PRISMA_CODES = new Set(["P1001", "P1002", "P1008", "P1017", "P2024"]);
const UNREACHABLE_ADAPTER_KINDS = new Set(["DatabaseNotReachable", "ConnectionClosed", "SocketTimeout", "TooManyConnections"]);

/** True when `err` says the database could not be reached (a transient outage, answered 503), not a bug. */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const e = err as { code?: unknown; meta?: { driverAdapterError?: { cause?: { kind?: unknown } } } };
  if (typeof e.code === "string" && UNREACHABLE_PRISMA_CODES.has(e.code)) return true;
  const kind = e.meta?.driverAdapterError?.cause?.kind;
  return typeof kind === "string" && UNREACHABLE_ADAPTER_KINDS.has(kind);
}

/** Maps any error raised while serving a procedure to the envelope. Internal errors never leak their text. */
export function envelopeFromTRPCError(error: TRPCError): ErrorEnvelope {
  const status = getHTTPStatusCodeFromError(error);
  const cause = error.cause;
  if (error.code === "BAD_REQUEST" && isZodError(cause)) {
    const badPathId = cause.issues.find((i) => typeof i.path[0] === "string" && PATH_IDS.has(i.path[0]));
    if (badPathId) return errorEnvelope(400, `invalid ${String(badPathId.path[0])}`);
    return errorEnvelope(400, "Validation failed", zodFieldIssues(cause.issues));
  }
  if (error.code === "BAD_REQUEST" && cause instanceof ValidationFailure) {
    return errorEnvelope(400, "Validation failed", cause.issues);
  }
  if (error.code === "BAD_REQUEST" && cause instanceof SyntaxError) return errorEnvelope(400, "invalid JSON body");
  if (error.code === "BAD_REQUEST" && error.message === TRPC_BATCH_TOO_LARGE) {
    return errorEnvelope(400, `a tRPC batch may hold at most ${TRPC_MAX_BATCH_SIZE} calls; split it into several requests`);
  }
  switch (error.code) {
    case "PARSE_ERROR":
      return errorEnvelope(400, "invalid JSON body");
    case "UNSUPPORTED_MEDIA_TYPE":
      return errorEnvelope(415, "unsupported content type; send application/json");
    case "PAYLOAD_TOO_LARGE":
      return errorEnvelope(413, "request body too large");
    case "METHOD_NOT_SUPPORTED":
      return errorEnvelope(405, "method not allowed");
    case "NOT_FOUND":
      return errorEnvelope(404, error.message === "Not found" ? "not found" : error.message);
    default:
      break;
  }
  if (error.code === "INTERNAL_SERVER_ERROR" && isDatabaseUnavailable(cause)) return errorEnvelope(503, DATABASE_UNAVAILABLE_MESSAGE);
  if (error.code === "INTERNAL_SERVER_ERROR" && isDatabaseTimeout(cause)) return errorEnvelope(503, DATABASE_TIMEOUT_MESSAGE);
  if (status >= 500) return errorEnvelope(status, INTERNAL_ERROR_MESSAGE);
  return errorEnvelope(status, error.message);
}
