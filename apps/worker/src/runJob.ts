// Executes one claimed run: attempts with retries, the per-run log, each attempt recorded as it completes, and the
// fenced final write.
import type { Db } from "@btick/db";
import { keyringFromConfig } from "@btick/secrets";
import type { Dispatcher } from "undici";
import type { Logger } from "pino";

import type { DbClock } from "./dbClock.ts";
import type { DbOutage } from "./dbOutage.ts";
import { executeAttempt, type AttemptResult } from "./execute.ts";
import type { WorkerMetrics } from "./metrics.ts";
import type { WorkerOptions } from "./options.ts";
import { runWithRetries } from "./retry.ts";
import { RunLog } from "./runLog.ts";
import { MAX_READ_BYTES } from "./responseBody.ts";
import { openRun } from "./secrets.ts";
import { finishRun } from "./sql/finishRun.ts";
import { recordAttempt } from "./sql/recordAttempts.ts";
import { startAttempt } from "./sql/startAttempt.ts";
import { RUN_RELEASED, type AttemptRecord, type ClaimedRun, type RunResult } from "./types.ts";

export { RUN_RELEASED } from "./types.ts";
export const SHUTDOWN_MESSAGE = "worker shutting down";

export interface RunContext {
  db: Db;
  http: Dispatcher;
  options: WorkerOptions;
  logger: Logger;
  metrics?: WorkerMetrics | undefined;
  /** The database's clock: every timestamp a run writes or sends comes from it. */
  clock: DbClock;
  /** Where database failures are reported (one line per outage); without it they are logged one by one. */
  outage?: DbOutage;
}

export interface RunSummary {
  status: RunResult["status"];
  attempts: number;
  /** False when the fence rejected the final write (the run was lost, taken over or deleted meanwhile). */
  recorded: boolean;
}

export function attemptTimeoutMs(run: ClaimedRun, options: Pick<WorkerOptions, "httpTimeoutMs">): number {
  return Math.min(run.timeoutSeconds * 1000, options.httpTimeoutMs);
}

interface Attempt extends AttemptRecord {
  /** Already written (recordAttempt): the final write leaves it out. */
  persisted: boolean;
}

/**
 * Runs the attempts and records the outcome. `onFinishing` is called once the attempts are over, right before the
 * final write: from then on the run's row may stop being `running` at any moment, by our own hand.
 */
export async function runJob(ctx: RunContext, run: ClaimedRun, signal: AbortSignal, onFinishing: () => void = () => {}): Promise<RunSummary> {
  const { db, options, clock } = ctx;
  const log = ctx.logger.child({ job_id: run.jobId, run_id: run.runId });
  const file = new RunLog(options.taskLogPath, run.runId, () => clock.now(), (err) =>
    log.warn({ err }, "could not write the run log file; the run goes on without it"),
  );
  const timeoutMs = attemptTimeoutMs(run, options);
  const records: Attempt[] = [];
  // Secret header values and signing secrets are decrypted only now, in memory, for sending.
  const opened = openRun(run, options.keyring ?? keyringFromConfig({}).keyring, clock.now());
  file.line(
    `claimed ${run.triggerType} run of job ${run.jobId} for ${run.scheduledFor.toISOString()} by ${options.workerId}` +
      ` (${run.method} ${run.url}, max ${run.maxAttempts} attempts, timeout ${timeoutMs} ms)`,
  );
  log.debug({ scheduled_for: run.scheduledFor.toISOString(), trigger_type: run.triggerType }, "run claimed");

  let fenceLost = false;
  /** Writes an attempt now; resolves to whether the run is still running and ours. A database error defers it. */
  const persist = async (rec: Attempt): Promise<boolean> => {
    try {
      const running = await recordAttempt(db, { runId: run.runId, workerId: options.workerId, attempt: rec });
      rec.persisted = true;
      return running;
    } catch (err) {
      log.debug({ err, attempt: rec.attemptNumber }, "could not record the attempt yet; the final write will");
      return true;
    }
  };

  const outcome = await runWithRetries(
    run.maxAttempts,
    {
      async beforeAttempt(n) {
        // Attempt 1 starts right after the claim, whose freshly inserted row is the proof of ownership. Later ones
        // are checked (and counted in attempt_number) before sending, so a lost lease stops the retries.
        if (n === 1) return true;
        const owned = await startAttempt(db, { runId: run.runId, workerId: options.workerId, attemptNumber: n }).catch(() => true);
        if (!owned) fenceLost = true;
        return owned;
      },
      async attempt(n) {
        file.line(`attempt ${n} started`);
        const startedAt = clock.now();
        if (n === 1) {
          ctx.metrics?.scheduleLag.observe({ trigger_type: run.triggerType }, Math.max(0, startedAt.getTime() - run.scheduledFor.getTime()) / 1000);
        }
        const t0 = performance.now();
        const result: AttemptResult = opened.ok
          ? await executeAttempt(ctx.http, opened.run, n, { timeoutMs, signal, now: () => clock.now() })
          : undecryptable(opened.error);
        const durationMs = Math.round(performance.now() - t0);
        ctx.metrics?.attemptDuration.observe({ outcome: result.outcome }, durationMs / 1000);
        records.push({
          attemptNumber: n,
          outcome: result.outcome,
          statusCode: result.statusCode,
          errorMessage: result.errorMessage,
          startedAt,
          finishedAt: new Date(startedAt.getTime() + durationMs),
          durationMs,
          persisted: false,
        });
        if (result.bodyBytesCapped) {
          file.line(`attempt ${n}: response body without Content-Length read up to the ${MAX_READ_BYTES} byte cap; its size is at least ${result.bodyBytes}`);
        }
        file.line(
          `attempt ${n} finished: ${result.outcome}` +
            `${result.statusCode !== null ? ` ${result.statusCode}` : ""}${result.errorMessage ? ` (${result.errorMessage})` : ""} in ${durationMs} ms`,
        );
        log.debug({ attempt: n, outcome: result.outcome, status_code: result.statusCode, duration_ms: durationMs }, "attempt finished");
        return result;
      },
      stop: () => fenceLost,
      async onRetry(n, result, delayMs) {
        // The attempt is recorded before the wait, so the run shows it (and its attempt_number) while it waits.
        const rec = records[n - 1];
        if (rec && !(await persist(rec))) {
          fenceLost = true;
          return false;
        }
        file.line(`attempt ${n} will be retried in ${delayMs} ms${result.retryAfter ? ` (Retry-After: ${result.retryAfter})` : ""}`);
        return true;
      },
    },
    { ...options, signal, now: () => clock.now() },
  );

  // Cancelled (replaced), marked lost or deleted meanwhile: the row already holds its final state.
  if (signal.aborted && signal.reason === RUN_RELEASED) fenceLost = true;
  const last = outcome.last;
  const shuttingDown = outcome.stoppedBy === "shutdown" || signal.aborted;
  const success = last?.outcome === "success";
  const unwritten = () => records.filter((r) => !r.persisted);
  const result: RunResult = {
    status: success ? "success" : last?.outcome === "blocked" ? "blocked_by_policy" : "failed",
    attemptNumber: outcome.attempts,
    statusCode: last?.statusCode ?? null,
    responseHeaders: last?.headers ?? null,
    responseBody: last?.body ?? null,
    responseBodyTruncated: last?.bodyTruncated ?? false,
    responseBodyBytes: last?.bodyBytes ?? null,
    responseBodyBytesCapped: last?.bodyBytesCapped ?? false,
    errorMessage: success ? null : shuttingDown ? SHUTDOWN_MESSAGE : (last?.errorMessage ?? "request failed"),
    attempts: unwritten(),
  };

  let recorded = false;
  onFinishing();
  if (!fenceLost) recorded = await finishWithRetries(ctx, run, result);
  // Not finished by us (cancelled, lost, taken over or deleted): the attempts really sent are still history, as far
  // as the fence allows (recordAttempts).
  if (!recorded) await Promise.all(unwritten().map((rec) => persist(rec)));
  file.line(
    recorded
      ? `finished: ${result.status} after ${outcome.attempts} attempt(s)${result.errorMessage ? ` (${result.errorMessage})` : ""}`
      : `finished: ${result.status}, not recorded (the run is no longer owned by ${options.workerId})`,
  );
  const fields = { status: result.status, attempts: outcome.attempts, status_code: result.statusCode, recorded };
  if (recorded) ctx.metrics?.runs.inc({ status: result.status, trigger_type: run.triggerType });
  if (recorded) log.info(fields, "run finished");
  else log.warn(fields, "run finished but no longer owned; result discarded");
  return { status: result.status, attempts: outcome.attempts, recorded };
}

/** The final write survives a short database hiccup; if it still fails, the lease expires and the run is marked lost. */
async function finishWithRetries(ctx: RunContext, run: ClaimedRun, result: RunResult): Promise<boolean> {
  for (let i = 0; ; i++) {
    try {
      return await finishRun(ctx.db, { runId: run.runId, workerId: ctx.options.workerId, result });
    } catch (err) {
      if (i >= 2) {
        if (ctx.outage) ctx.outage.failed("recording a run's result", err);
        else ctx.logger.error({ err, job_id: run.jobId, run_id: run.runId }, "could not record the run's result");
        ctx.logger.warn({ job_id: run.jobId, run_id: run.runId }, "the run's result could not be recorded; its lease will expire and it will be marked lost");
        return false;
      }
      await new Promise((r) => setTimeout(r, 250 * 4 ** i));
    }
  }
}

/** A run whose secrets cannot be decrypted is not sent (and not retried): the operator must fix the keys. */
function undecryptable(error: string): AttemptResult {
  return {
    outcome: "network_error",
    retryable: false,
    statusCode: null,
    headers: null,
    body: null,
    bodyTruncated: false,
    bodyBytes: null,
    bodyBytesCapped: false,
    errorMessage: `${error}; request not sent`,
    retryAfter: null,
    aborted: false,
  };
}
