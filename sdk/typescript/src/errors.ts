// Typed errors. API failures carry the server's error envelope
//   {"status": 400, "error": {"error_code": "INVALID_REQUEST", "error_message": "Validation failed"},
//    "validation": [{"field": "cron_expression", "message": "never fires"}]}
// which tRPC delivers in the error shape's `data.envelope`. Failures without a response (connection refused,
// DNS, timeout, cancellation) get status 0 and the codes NETWORK_ERROR, TIMEOUT or ABORTED.

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

/** Error codes the API sends, plus the two client-side codes for requests that got no response. */
export type ErrorCode =
  | "INVALID_REQUEST"
  | "UNAUTHORIZED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "NOT_ALLOWED"
  | "CONFLICT"
  | "PAYLOAD_TOO_LARGE"
  | "UNSUPPORTED_MEDIA_TYPE"
  | "TOO_MANY_REQUESTS"
  | "SERVICE_UNAVAILABLE"
  | "INTERNAL_SERVER_ERROR"
  | "NETWORK_ERROR"
  | "TIMEOUT"
  | "ABORTED";

const CODES: Record<number, ErrorCode> = {
  400: "INVALID_REQUEST",
  401: "UNAUTHORIZED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  405: "NOT_ALLOWED",
  409: "CONFLICT",
  413: "PAYLOAD_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
  429: "TOO_MANY_REQUESTS",
  503: "SERVICE_UNAVAILABLE",
};

/** Every failed SDK call rejects with a BTickError. */
export class BTickError extends Error {
  override name = "BTickError";
  /** HTTP status; 0 when no response arrived (network error or timeout). */
  readonly status: number;
  /** The API's `error.error_code`, or NETWORK_ERROR / TIMEOUT / ABORTED (no response). */
  readonly error_code: ErrorCode;
  /** Per-field messages for validation failures (empty otherwise). */
  readonly validation: FieldError[];
  /** The procedure that failed, e.g. `jobs.create`. */
  readonly procedure: string | undefined;

  constructor(
    init: { status: number; error_code: ErrorCode; message: string; validation?: FieldError[]; procedure?: string },
    options?: { cause?: unknown },
  ) {
    super(init.message, options);
    this.status = init.status;
    this.error_code = init.error_code;
    this.validation = init.validation ?? [];
    this.procedure = init.procedure;
  }

  /** True when the request got no response (connection failure, timeout or cancellation). */
  get isNetworkError(): boolean {
    return this.status === 0;
  }

  /** The message plus one line per invalid field, as a CLI would print it. */
  describe(): string {
    return [this.message, ...this.validation.map((v) => `  ${v.field}: ${v.message}`)].join("\n");
  }

  /** Builds an error from an envelope (as sent by the REST API and carried by tRPC errors). */
  static fromEnvelope(envelope: ErrorEnvelope, procedure?: string, cause?: unknown): BTickError {
    const code = envelope.error.error_code as ErrorCode;
    return new BTickError(
      {
        status: envelope.status,
        error_code: code,
        message: envelope.error.error_message,
        ...(envelope.validation ? { validation: envelope.validation } : {}),
        ...(procedure ? { procedure } : {}),
      },
      { cause },
    );
  }
}

export function errorCodeForStatus(status: number): ErrorCode {
  return CODES[status] ?? "INTERNAL_SERVER_ERROR";
}

export function isErrorEnvelope(v: unknown): v is ErrorEnvelope {
  if (typeof v !== "object" || v === null) return false;
  const e = v as Partial<ErrorEnvelope>;
  return typeof e.status === "number" && typeof e.error === "object" && e.error !== null && typeof e.error.error_message === "string";
}
