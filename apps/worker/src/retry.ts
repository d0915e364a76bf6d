// Retry policy: which failures are retried, how long to wait, and the p-retry loop that drives the attempts.
// p-retry's AbortError stops retrying without calling shouldRetry.
import pRetry, { AbortError as pRetryAbort } from "p-retry";

import { parseRetryAfter, retryDelayMs } from "@btick/scheduling";

import type { AttemptResult } from "./execute.ts";

/** Network errors, timeouts, 5xx and 429 are worth another try; anything else (4xx, 3xx) is final. */
export function isRetryable(r: Pick<AttemptResult, "outcome" | "statusCode" | "aborted">): boolean {
  if (r.aborted) return false;
  if (r.outcome === "network_error" || r.outcome === "timeout") return true;
  if (r.outcome === "http_error" && r.statusCode !== null) return r.statusCode >= 500 || r.statusCode === 429;
  return false;
}

export interface BackoffOptions {
  retryBaseMs: number;
  retryCapMs: number;
  retryAfterCapMs: number;
}

/**
 * Wait before retry number `retry` (1 = after the first attempt): the target's Retry-After when it sent one
 * (capped; an HTTP date is compared with `now`, the database clock), otherwise exponential backoff with cap and jitter.
 */
export function backoffMs(retry: number, result: Pick<AttemptResult, "retryAfter">, opts: BackoffOptions, now: Date): number {
  const retryAfter = parseRetryAfter(result.retryAfter, now);
  if (retryAfter !== undefined) return Math.min(retryAfter, opts.retryAfterCapMs);
  return retryDelayMs(retry, { baseMs: opts.retryBaseMs, capMs: opts.retryCapMs });
}

class FailedAttempt extends Error {
  constructor(readonly result: AttemptResult) {
    super(result.errorMessage ?? "attempt failed");
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export interface RetryHooks {
  /** Called before each attempt; returning false stops (the run is no longer ours). */
  beforeAttempt(attempt: number): Promise<boolean>;
  attempt(attempt: number): Promise<AttemptResult>;
  /** Checked after each attempt; true ends the loop (the run was taken over meanwhile). */
  stop?(): boolean;
  /**
   * Called when a retry is scheduled, with the wait about to happen, before waiting; resolving to false stops (the
   * run is no longer ours).
   */
  onRetry?(attempt: number, result: AttemptResult, delayMs: number): Promise<boolean>;
}

export interface RetryOutcome {
  /** The last attempt's result, or null when no attempt ran. */
  last: AttemptResult | null;
  attempts: number;
  /** Why the loop stopped early, if it did: lease lost or shutdown. */
  stoppedBy: "fence" | "shutdown" | null;
}

/**
 * Runs up to `maxAttempts` attempts through p-retry. A non-retryable result ends the loop at once; a retryable one
 * waits `backoffMs` (interruptible by `signal`) before the next attempt.
 */
export async function runWithRetries(
  maxAttempts: number,
  hooks: RetryHooks,
  opts: BackoffOptions & { signal?: AbortSignal; now: () => Date },
): Promise<RetryOutcome> {
  let last: AttemptResult | null = null;
  let attempts = 0;
  let stoppedBy: RetryOutcome["stoppedBy"] = null;
  try {
    await pRetry(
      async (n) => {
        if (opts.signal?.aborted) {
          stoppedBy = "shutdown";
          throw new pRetryAbort("worker shutting down");
        }
        if (!(await hooks.beforeAttempt(n))) {
          stoppedBy = "fence";
          throw new pRetryAbort("run is no longer owned by this worker");
        }
        attempts = n;
        last = await hooks.attempt(n);
        if (last.aborted) stoppedBy = "shutdown";
        if (last.outcome === "success") return;
        if (hooks.stop?.()) {
          stoppedBy = "fence";
          throw new pRetryAbort("run is no longer owned by this worker");
        }
        if (!last.retryable) throw new pRetryAbort(last.errorMessage ?? "attempt failed");
        throw new FailedAttempt(last);
      },
      {
        retries: Math.max(0, maxAttempts - 1),
        minTimeout: 0,
        maxTimeout: 0,
        shouldRetry: async ({ error, attemptNumber }) => {
          if (!(error instanceof FailedAttempt)) return false;
          const delay = backoffMs(attemptNumber, error.result, opts, opts.now());
          if (hooks.onRetry && !(await hooks.onRetry(attemptNumber, error.result, delay))) {
            stoppedBy = "fence";
            return false;
          }
          const slept = await sleep(delay, opts.signal);
          if (!slept) stoppedBy = "shutdown";
          return slept;
        },
      },
    );
  } catch {
    // The outcome is in `last`; p-retry's rejection carries nothing more.
  }
  return { last, attempts, stoppedBy };
}
