/** Abort reason used when a run was cancelled, marked lost or deleted under its worker (not a shutdown). */
export const RUN_RELEASED = "run released";

/** A run this worker owns: the job snapshot taken at claim time plus the run row's identity. */
export interface ClaimedRun {
  runId: string;
  jobId: string;
  tenantId: string;
  triggerType: "scheduled" | "manual";
  scheduledFor: Date;
  maxAttempts: number;
  method: string;
  url: string;
  headers: Record<string, string>;
  /** Any JSON value; null means no body. */
  body: unknown;
  timeoutSeconds: number;
  /** Encrypted values read with the claim (secret header values, signing secrets); opened just before sending. */
  sealed?: SealedRunSecrets;
  /** Plaintext signing secrets once opened, current first; empty or absent: the request is not signed. */
  signingSecrets?: readonly string[];
}

export interface SealedRunSecrets {
  /** Header name → envelope; `headers` holds the mask for these names. */
  secretHeaders: Record<string, string>;
  signingSecret: string | null;
  previousSigningSecret: string | null;
  previousExpiresAt: Date | null;
}

/**
 * `success`, `http_error`, `timeout`, `network_error` or `blocked` (the outbound network policy refused the
 * address) — the values of job_run_attempts.outcome.
 */
export type AttemptOutcome = "success" | "http_error" | "timeout" | "network_error" | "blocked";

export interface AttemptRecord {
  attemptNumber: number;
  outcome: AttemptOutcome;
  statusCode: number | null;
  errorMessage: string | null;
  startedAt: Date;
  finishedAt: Date;
  durationMs: number;
}

/** `blocked_by_policy`: the target's address is refused by the outbound network policy (never retried). */
export type RunStatus = "success" | "failed" | "blocked_by_policy";

/** What finishRun writes on the run row. */
export interface RunResult {
  status: RunStatus;
  attemptNumber: number;
  statusCode: number | null;
  responseHeaders: Record<string, string[]> | null;
  responseBody: string | null;
  responseBodyTruncated: boolean;
  responseBodyBytes: number | null;
  /** responseBodyBytes is a lower bound: the body had no Content-Length and reading stopped at the cap. */
  responseBodyBytesCapped: boolean;
  errorMessage: string | null;
  attempts: AttemptRecord[];
}
