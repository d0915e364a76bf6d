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
}

/** `success`, `http_error`, `timeout` or `network_error` (the values of job_run_attempts.outcome). */
export type AttemptOutcome = "success" | "http_error" | "timeout" | "network_error";

export interface AttemptRecord {
  attemptNumber: number;
  outcome: AttemptOutcome;
  statusCode: number | null;
  errorMessage: string | null;
  startedAt: Date;
  finishedAt: Date;
  durationMs: number;
}

export type RunStatus = "success" | "failed";

/** What finishRun writes on the run row. */
export interface RunResult {
  status: RunStatus;
  attemptNumber: number;
  statusCode: number | null;
  responseHeaders: Record<string, string[]> | null;
  responseBody: string | null;
  responseBodyTruncated: boolean;
  responseBodyBytes: number | null;
  errorMessage: string | null;
  attempts: AttemptRecord[];
}
