// Typed errors. API failures carry the server's error envelope
//   {"status": 400, "error": {"error_code": "INVALID_REQUEST", "error_message": "Validation failed"},
//    "validation": [{"field": "cron_expression", "message": "never fires"}]}
// Procedure errors deliver it inside tRPC's error shape (`error.data.envelope`); errors the server raises before a
// procedure runs (body too large, rate limit, ...) send it as the whole body. Answers without an envelope (a
// proxy's HTML error page, a non-JSON body) keep their HTTP status and get a code derived from it. Failures
// without a response (connection refused, DNS, timeout, cancellation) get status 0 and the codes NETWORK_ERROR,
// TIMEOUT or ABORTED.

import { API_ERROR_CODES_BY_STATUS, type ApiErrorCode } from "./generated/api-types.ts";

/** One invalid input field: snake_case name (nested as `headers.X-Foo`) and a short message. */
export interface FieldError {
  field: string;
  message: string;
}

/** The error envelope the API sends. */
export interface ErrorEnvelope {
  status: number;
  error: { error_code: string; error_message: string };
  validation?: FieldError[];
}

/**
 * Error codes: the API's, the codes derived from the HTTP status of answers without an envelope (e.g. a proxy's
 * 502), and the client-side codes for requests that got no usable response.
 */
export type ErrorCode =
  | ApiErrorCode
  | "BAD_GATEWAY"
  | "GATEWAY_TIMEOUT"
  /** Any other 4xx answer without an envelope. */
  | "HTTP_ERROR"
  /** A 2xx answer that is not a tRPC result (e.g. baseUrl points at another server). */
  | "INVALID_RESPONSE"
  | "NETWORK_ERROR"
  | "TIMEOUT"
  | "ABORTED";

/** The API's codes by status, plus the gateway statuses a proxy in front of it may answer with. */
const CODES: Record<number, ErrorCode> = {
  ...API_ERROR_CODES_BY_STATUS,
  500: "INTERNAL_SERVER_ERROR",
  502: "BAD_GATEWAY",
  504: "GATEWAY_TIMEOUT",
};

export interface BTickErrorInit {
  status: number;
  error_code: ErrorCode;
  message: string;
  validation?: FieldError[];
  procedure?: string;
  retryAfterSeconds?: number;
}

/** Every failed SDK call rejects with a BTickError. */
export class BTickError extends Error {
  override name = "BTickError";
  /** The HTTP status of the answer; 0 when no response arrived (network error, timeout, cancellation). */
  readonly status: number;
  /** The API's `error.error_code`; derived from the status for answers without an envelope; NETWORK_ERROR / TIMEOUT / ABORTED without a response. */
  readonly error_code: ErrorCode;
  /** Per-field messages for validation failures (empty otherwise). */
  readonly validation: FieldError[];
  /** The procedure that failed, e.g. `jobs.create`. */
  readonly procedure: string | undefined;
  /** Seconds to wait before retrying, from the answer's `Retry-After` header (429, 503); undefined without one. */
  readonly retryAfterSeconds: number | undefined;

  constructor(init: BTickErrorInit, options?: { cause?: unknown }) {
    super(init.message, options);
    this.status = init.status;
    this.error_code = init.error_code;
    this.validation = init.validation ?? [];
    this.procedure = init.procedure;
    this.retryAfterSeconds = init.retryAfterSeconds;
  }

  /** True when the request got no response (connection failure, timeout or cancellation). */
  get isNetworkError(): boolean {
    return this.status === 0;
  }

  /** The message plus one line per invalid field, as a CLI would print it. */
  describe(): string {
    return [this.message, ...this.validation.map((v) => `  ${v.field}: ${v.message}`)].join("\n");
  }

  /**
   * Builds an error from an envelope. `status` is the answer's HTTP status when known (it wins over the
   * envelope's copy).
   */
  static fromEnvelope(envelope: ErrorEnvelope, procedure?: string, cause?: unknown, extra: { status?: number; retryAfterSeconds?: number } = {}): BTickError {
    const status = extra.status ?? envelope.status;
    return new BTickError(
      {
        status,
        error_code: envelopeCode(envelope.error.error_code, status),
        message: envelope.error.error_message,
        ...(envelope.validation ? { validation: envelope.validation } : {}),
        ...(procedure ? { procedure } : {}),
        ...(extra.retryAfterSeconds !== undefined ? { retryAfterSeconds: extra.retryAfterSeconds } : {}),
      },
      { cause },
    );
  }
}

/** The code for an HTTP status when the answer carries no envelope. */
export function errorCodeForStatus(status: number): ErrorCode {
  return CODES[status] ?? (status >= 500 ? "INTERNAL_SERVER_ERROR" : "HTTP_ERROR");
}

/**
 * The envelope's code, except that the API's catch-all INTERNAL_SERVER_ERROR on a client error (its table lacks
 * 431) is replaced by the status's own code: a 4xx is never an internal error.
 */
function envelopeCode(code: string, status: number): ErrorCode {
  if (code === "INTERNAL_SERVER_ERROR" && status >= 400 && status < 500) return errorCodeForStatus(status);
  return code as ErrorCode;
}

export function isErrorEnvelope(v: unknown): v is ErrorEnvelope {
  if (typeof v !== "object" || v === null) return false;
  const e = v as Partial<ErrorEnvelope>;
  return (
    typeof e.status === "number" &&
    typeof e.error === "object" &&
    e.error !== null &&
    typeof e.error.error_code === "string" &&
    typeof e.error.error_message === "string"
  );
}

/** `Retry-After` as seconds: delta-seconds or an HTTP date (never negative); undefined when absent or malformed. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

/** A failed HTTP answer as the SDK's fetch layer saw it. */
export interface FailedAnswer {
  status: number;
  statusText: string;
  retryAfter: string | null;
  body: string;
}

/**
 * Turns a failed answer into a BTickError: the envelope (REST shape, or inside tRPC's error shape) when there is
 * one, otherwise the status with the best message the body offers.
 */
export function errorFromAnswer(answer: FailedAnswer, procedure: string, cause?: unknown): BTickError {
  const retry = parseRetryAfter(answer.retryAfter);
  const extra = { status: answer.status, ...(retry !== undefined ? { retryAfterSeconds: retry } : {}) };
  let json: unknown;
  try {
    json = JSON.parse(answer.body);
  } catch {
    json = undefined;
  }
  const trpcError = typeof json === "object" && json !== null ? (json as { error?: { message?: unknown; data?: { envelope?: unknown } } }).error : undefined;
  const envelope = isErrorEnvelope(json) ? json : isErrorEnvelope(trpcError?.data?.envelope) ? trpcError.data.envelope : undefined;
  if (envelope) return BTickError.fromEnvelope(envelope, procedure, cause, extra);

  const ok = answer.status >= 200 && answer.status < 300;
  const reason = `${answer.status}${answer.statusText ? ` ${answer.statusText}` : ""}`;
  let message: string;
  if (ok) message = `${procedure}: unexpected answer (HTTP ${reason}${json === undefined ? ", not JSON" : ""}); is baseUrl the BTick API?`;
  else if (typeof trpcError?.message === "string" && trpcError.message) message = trpcError.message;
  else if (typeof json === "object" && json !== null && typeof (json as { message?: unknown }).message === "string") message = (json as { message: string }).message;
  else message = `${procedure}: HTTP ${reason}${json === undefined ? " (not a JSON answer)" : ""}`;
  return new BTickError(
    { status: answer.status, error_code: ok ? "INVALID_RESPONSE" : errorCodeForStatus(answer.status), message, procedure, ...(retry !== undefined ? { retryAfterSeconds: retry } : {}) },
    { cause },
  );
}
