// One HTTP attempt. No database access: the caller records what this returns.
import { createNetworkPolicy, findBlockedError, type NetworkPolicyOptions } from "@btick/net-policy";
import { Agent, interceptors, type Dispatcher } from "undici";

import { guardedConnector } from "./netGuard.ts";

import { captureBody } from "./responseBody.ts";
import { isRetryable } from "./retry.ts";
import { signatureHeaders } from "./secrets.ts";
import { RUN_RELEASED, type AttemptOutcome, type ClaimedRun } from "./types.ts";

export const USER_AGENT = "btick-worker/0.1";
/** Error of an attempt cut short because its run was cancelled (replaced), marked lost or deleted meanwhile. */
export const RELEASED_ABORT_MESSAGE = "aborted: the run was cancelled, marked lost or deleted meanwhile";

export interface AttemptResult {
  outcome: AttemptOutcome;
  /** True for network errors, timeouts, 5xx and 429. */
  retryable: boolean;
  statusCode: number | null;
  headers: Record<string, string[]> | null;
  body: string | null;
  bodyTruncated: boolean;
  bodyBytes: number | null;
  /** The body was read only up to the cap, with no Content-Length: bodyBytes is a lower bound. */
  bodyBytesCapped: boolean;
  errorMessage: string | null;
  /** Parsed later by the retry policy. */
  retryAfter: string | null;
  /** Set when the attempt was cut short by the caller's signal (shutdown, or the run released), not by its timeout. */
  aborted: boolean;
}

/**
 * Shared keep-alive connection pool for every attempt of this process: at most `connections` sockets per origin
 * (the worker passes its concurrency, so every in-flight run to the same target can hold its own connection).
 * Unless `network.allowPrivateNetworks`, every connection (redirects included) goes through the outbound network
 * policy (see netGuard.ts).
 */
export function createHttpAgent(opts: { followRedirects: boolean; connections?: number; network?: NetworkPolicyOptions }): Dispatcher {
  const network = opts.network ?? { allowPrivateNetworks: false };
  const agent = new Agent({
    keepAliveTimeout: 10_000,
    keepAliveMaxTimeout: 60_000,
    connections: Math.max(1, opts.connections ?? 256),
    ...(network.allowPrivateNetworks ? {} : { connect: guardedConnector(createNetworkPolicy(network)) }),
  });
  return opts.followRedirects ? agent.compose(interceptors.redirect({ maxRedirections: 5 })) : agent;
}

/** The outgoing headers: the job's own, then ours. Everything but X-BTick-Attempt is identical across retries. */
export function requestHeaders(run: ClaimedRun, attempt: number, now: Date): Record<string, string> {
  const out: Record<string, string> = {};
  const seen = new Set<string>();
  for (const [name, value] of Object.entries(run.headers)) {
    out[name] = value;
    seen.add(name.toLowerCase());
  }
  const set = (name: string, value: string) => {
    for (const existing of Object.keys(out)) if (existing.toLowerCase() === name.toLowerCase()) delete out[existing];
    out[name] = value;
  };
  if (!seen.has("user-agent")) out["User-Agent"] = USER_AGENT;
  if (hasBody(run) && !seen.has("content-type")) out["Content-Type"] = "application/json";
  set("X-BTick-Job-Id", run.jobId);
  set("X-BTick-Run-Id", run.runId);
  set("X-BTick-Scheduled-For", run.scheduledFor.toISOString());
  set("Idempotency-Key", run.runId);
  set("X-BTick-Attempt", String(attempt));
  for (const [name, value] of Object.entries(signatureHeaders(run, requestBody(run) ?? "", now))) set(name, value);
  return out;
}

/** The serialized JSON body, or null when the request has none (what is sent and what is signed). */
export function requestBody(run: ClaimedRun): string | null {
  return hasBody(run) ? JSON.stringify(run.body) : null;
}

function hasBody(run: ClaimedRun): boolean {
  return run.body !== null && run.body !== undefined && run.method !== "GET" && run.method !== "HEAD";
}

function headerRecord(raw: Record<string, string | string[] | undefined>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value : [value];
  }
  return out;
}

function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : "";
  return `${typeof code === "string" ? `${code} ` : ""}${err.message}${cause}`;
}

/**
 * Sends one request. Never throws: transport errors, timeouts and non-2xx statuses become a failed AttemptResult.
 * `timeoutMs` covers the whole attempt, body included; `signal` (shutdown) aborts it early. `now` (the database
 * clock) dates the signature.
 */
export async function executeAttempt(
  dispatcher: Dispatcher,
  run: ClaimedRun,
  attempt: number,
  opts: { timeoutMs: number; signal?: AbortSignal; now: () => Date },
): Promise<AttemptResult> {
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout;
  const failure = (outcome: AttemptOutcome, errorMessage: string, aborted = false): AttemptResult => ({
    outcome,
    retryable: !aborted,
    statusCode: null,
    headers: null,
    body: null,
    bodyTruncated: false,
    bodyBytes: null,
    bodyBytesCapped: false,
    errorMessage,
    retryAfter: null,
    aborted,
  });
  let url: URL;
  try {
    url = new URL(run.url);
  } catch {
    return { ...failure("network_error", `invalid URL: ${run.url}`), retryable: false };
  }
  try {
    const res = await dispatcher.request({
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      method: run.method as Dispatcher.HttpMethod,
      headers: requestHeaders(run, attempt, opts.now()),
      body: requestBody(run),
      signal,
    });
    const headers = headerRecord(res.headers);
    const contentLength = Number(res.headers["content-length"]);
    const captured = await captureBody(res.body, { contentLength: Number.isFinite(contentLength) ? contentLength : undefined });
    const status = res.statusCode;
    const base = {
      statusCode: status,
      headers,
      body: captured.text,
      bodyTruncated: captured.truncated,
      bodyBytes: captured.bytes,
      bodyBytesCapped: captured.bytesCapped,
      retryAfter: headers["retry-after"]?.[0] ?? null,
      aborted: false,
    };
    if (status >= 200 && status < 300) return { ...base, outcome: "success", retryable: false, errorMessage: null };
    if (status >= 300 && status < 400) {
      const location = headers.location?.[0];
      return {
        ...base,
        outcome: "http_error",
        retryable: false,
        errorMessage: `received redirect status code ${status} (not followed)${location ? `; Location: ${location}` : "; no Location header"}`,
      };
    }
    return {
      ...base,
      outcome: "http_error",
      retryable: isRetryable({ outcome: "http_error", statusCode: status, aborted: false }),
      errorMessage: `received non-2xx status code ${status}`,
    };
  } catch (err) {
    if (opts.signal?.aborted) {
      const released = opts.signal.reason === RUN_RELEASED;
      return failure("network_error", released ? RELEASED_ABORT_MESSAGE : "aborted: worker shutting down", true);
    }
    if (timeout.aborted) return failure("timeout", `timed out after ${opts.timeoutMs} ms`);
    const blocked = findBlockedError(err);
    if (blocked) return { ...failure("blocked", `${blocked.message} (not retried; an operator can allow it with WORKER_ALLOWED_HOSTS)`), retryable: false };
    return failure("network_error", `request failed: ${errorText(err)}`);
  }
}
