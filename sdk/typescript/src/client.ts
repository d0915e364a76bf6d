// The BTick client: a thin, typed layer over @trpc/client. It imports only the router's *type*; the method
// signatures use the generated wire types (src/generated/api-types.ts), and the calls below are type-checked
// against the router, so the SDK cannot drift from the API.
import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";

import type { AppRouter } from "@btick/contract";

import { BTickError, errorCodeForStatus, errorFromAnswer, isErrorEnvelope, type FailedAnswer } from "./errors.ts";
import type {
  ApiKey,
  ApiKeysCreateInput,
  ApiKeysCreateOutput,
  ApiKeysListInput,
  ApiKeysListOutput,
  ApiKeysRevokeInput,
  ApiKeysRevokeOutput,
  HealthCheckOutput,
  Job,
  JobsCreateInput,
  JobsCreateOutput,
  JobsDeleteInput,
  JobsDeleteOutput,
  JobsGetInput,
  JobsGetOutput,
  JobsListInput,
  JobsListOutput,
  JobsPauseInput,
  JobsPauseOutput,
  JobsResumeInput,
  JobsResumeOutput,
  JobsRotateSigningSecretInput,
  JobsRotateSigningSecretOutput,
  JobsTriggerInput,
  JobsTriggerOutput,
  JobsUpdateInput,
  JobsUpdateOutput,
  Run,
  RunsGetInput,
  RunsGetOutput,
  RunsListInput,
  RunsListOutput,
} from "./generated/api-types.ts";

// The SDK's declarations name no DOM or Node type, so they type-check with `lib: ["ES2022"]` and `types: []`.
// Where the environment declares `AbortSignal` (DOM lib, @types/node) that type is used; otherwise the
// structural stand-in below.

/** The parts of an `AbortSignal` the SDK uses. */
export interface AbortSignalShape {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: "abort", listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: "abort", listener: () => void): void;
}

/** `AbortSignal` (the environment's own type when it declares one). */
export type AbortSignalLike = typeof globalThis extends { AbortSignal: { prototype: infer S } } ? S : AbortSignalShape;

/** What the SDK passes to `fetch`. */
export interface FetchInit {
  method: string;
  headers: Record<string, string>;
  body?: string | undefined;
  signal: AbortSignalLike;
}

/** The parts of a fetch `Response` the SDK reads. */
export interface FetchResponse {
  readonly ok: boolean;
  readonly status: number;
  readonly statusText: string;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
}

/** A `fetch` implementation (the global one by default; a standard `fetch` fits). */
export type FetchLike = (input: string, init: FetchInit) => Promise<FetchResponse>;

export interface BTickOptions {
  /** Where the API runs, e.g. `https://btick.example.com` (the SDK appends `/trpc`). */
  baseUrl: string;
  /** An API key (`skd_<prefix>_<secret>`), sent as `Authorization: Bearer <key>`. */
  apiKey: string;
  /** Custom fetch (proxies, tests, instrumentation). Default: the global `fetch`. */
  fetch?: FetchLike;
  /** Per-request timeout in milliseconds, covering the response body too. Default 30 000. */
  timeoutMs?: number;
  /**
   * How often a read (list/get) is retried after a network error or timeout, with exponential backoff.
   * Writes are never retried. Default 2.
   */
  retries?: number;
  /** Extra headers sent with every request. */
  headers?: Record<string, string>;
}

export interface RequestOptions {
  /** Cancels the request. */
  signal?: AbortSignalLike;
}

/** Filters for iterating over every job (`cursor` is handled for you). */
export type JobsIterateInput = Omit<JobsListInput, "cursor">;
export type RunsIterateInput = Omit<RunsListInput, "cursor">;
export type ApiKeysIterateInput = Omit<ApiKeysListInput, "cursor">;

export interface JobsApi {
  /** `POST /jobs` — creates a job; returns `{ job }`. */
  create(input: JobsCreateInput, options?: RequestOptions): Promise<JobsCreateOutput>;
  /** `GET /jobs` — one page of jobs, newest first; returns `{ jobs, next_cursor }`. */
  list(input?: JobsListInput, options?: RequestOptions): Promise<JobsListOutput>;
  /** Every job matching the filters, fetching pages as needed. */
  iterate(input?: JobsIterateInput, options?: RequestOptions): AsyncIterableIterator<Job>;
  /** `GET /jobs/{jobId}` — returns `{ job }`. */
  get(input: JobsGetInput, options?: RequestOptions): Promise<JobsGetOutput>;
  /** `PATCH /jobs/{jobId}` — JSON merge patch; `body: null` clears the body. Returns `{ job }`. */
  update(input: JobsUpdateInput, options?: RequestOptions): Promise<JobsUpdateOutput>;
  /** `DELETE /jobs/{jobId}` — deletes the job and its runs; returns `{ message }`. */
  delete(input: JobsDeleteInput, options?: RequestOptions): Promise<JobsDeleteOutput>;
  /** `POST /jobs/{jobId}/pause` — returns `{ job }`. */
  pause(input: JobsPauseInput, options?: RequestOptions): Promise<JobsPauseOutput>;
  /** `POST /jobs/{jobId}/resume` — resumes from the next slot; returns `{ job }`. */
  resume(input: JobsResumeInput, options?: RequestOptions): Promise<JobsResumeOutput>;
  /** `POST /jobs/{jobId}/trigger` — runs the job now (also when paused); returns `{ message, trigger_id }`. */
  trigger(input: JobsTriggerInput, options?: RequestOptions): Promise<JobsTriggerOutput>;
  /**
   * `POST /jobs/{jobId}/rotate-signing-secret` — a new signing secret, shown only in this response; requests keep
   * a second signature made with the old one for `previous_secret_expires_in_seconds` (default 24 h; 0 stops at
   * once). Returns `{ job, signing_secret }`.
   */
  rotateSigningSecret(input: JobsRotateSigningSecretInput, options?: RequestOptions): Promise<JobsRotateSigningSecretOutput>;
}

export interface RunsApi {
  /** `GET /jobs/{jobId}/runs` — one page of a job's runs, newest first; returns `{ runs, next_cursor }`. */
  list(input: RunsListInput, options?: RequestOptions): Promise<RunsListOutput>;
  /** Every run of a job matching the filters, fetching pages as needed. */
  iterate(input: RunsIterateInput, options?: RequestOptions): AsyncIterableIterator<Run>;
  /** `GET /runs/{runId}` — a run with its attempts; returns `{ run }`. */
  get(input: RunsGetInput, options?: RequestOptions): Promise<RunsGetOutput>;
}

export interface ApiKeysApi {
  /** `POST /api-keys` — returns `{ api_key, raw_key }`; the raw key is shown only this once. */
  create(input: ApiKeysCreateInput, options?: RequestOptions): Promise<ApiKeysCreateOutput>;
  /** `GET /api-keys` — one page of keys, newest first (revoked included); returns `{ api_keys, next_cursor }`. */
  list(input?: ApiKeysListInput, options?: RequestOptions): Promise<ApiKeysListOutput>;
  /** Every API key, fetching pages as needed. */
  iterate(input?: ApiKeysIterateInput, options?: RequestOptions): AsyncIterableIterator<ApiKey>;
  /** `POST /api-keys/{keyId}/revoke` — idempotent; returns `{ api_key }`. */
  revoke(input: ApiKeysRevokeInput, options?: RequestOptions): Promise<ApiKeysRevokeOutput>;
}

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_RETRIES = 2;

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });

function causes(err: unknown): unknown[] {
  const out: unknown[] = [];
  for (let e = err, i = 0; e !== undefined && e !== null && i < 8; e = (e as { cause?: unknown }).cause, i++) out.push(e);
  return out;
}

/**
 * Raised by the SDK's fetch layer for every answer tRPC cannot read as a result: non-2xx answers (whatever their
 * body: tRPC's error shape, the API's envelope, a proxy's HTML page) and 2xx answers that are not a tRPC result.
 * tRPC passes it on as the cause of its error; toBTickError turns it into a BTickError.
 */
class FailedAnswerError extends Error {
  constructor(readonly answer: FailedAnswer) {
    super(`HTTP ${answer.status}`);
    this.name = "FailedAnswerError";
  }
}

function toBTickError(err: unknown, procedure: string): BTickError {
  if (err instanceof BTickError) return err;
  const chain = causes(err);
  const failed = chain.find((c): c is FailedAnswerError => c instanceof FailedAnswerError);
  if (failed) return errorFromAnswer(failed.answer, procedure, err);
  if (err instanceof TRPCClientError) {
    const e = err as TRPCClientError<AppRouter>;
    const envelope: unknown = e.data?.envelope;
    if (isErrorEnvelope(envelope)) return BTickError.fromEnvelope(envelope, procedure, err);
    const status = e.data?.httpStatus;
    if (typeof status === "number" && status > 0) {
      return new BTickError({ status, error_code: errorCodeForStatus(status), message: err.message || `HTTP ${status}`, procedure }, { cause: err });
    }
  }
  if (chain.some((c) => (c as { name?: string }).name === "TimeoutError")) {
    return new BTickError({ status: 0, error_code: "TIMEOUT", message: `${procedure}: request timed out`, procedure }, { cause: err });
  }
  if (chain.some((c) => (c as { name?: string }).name === "AbortError")) {
    return new BTickError({ status: 0, error_code: "ABORTED", message: `${procedure}: request aborted`, procedure }, { cause: err });
  }
  const inner = chain.at(-1);
  const detail = inner instanceof Error && inner.message ? `: ${inner.message}` : "";
  return new BTickError({ status: 0, error_code: "NETWORK_ERROR", message: `${procedure}: network error${detail}`, procedure }, { cause: err });
}

/**
 * The router's output type for one of the SDK's output types. The SDK narrows `method` and `request_method` to
 * HttpMethod (the API validates methods on input; its output schema says `string`); everything else must match
 * the router's outputs, which the compiler checks where each procedure is called.
 */
type Wire<T> = T extends readonly (infer U)[]
  ? Wire<U>[]
  : T extends object
    ? { [K in keyof T]: K extends "method" | "request_method" ? string : K extends "body" | "request_body" ? T[K] : Wire<T[K]> }
    : T;

/** The BTick API client. */
export class BTick {
  readonly jobs: JobsApi;
  readonly runs: RunsApi;
  readonly apiKeys: ApiKeysApi;
  /** `GET /health` — liveness of the API (no auth). */
  readonly health: (options?: RequestOptions) => Promise<HealthCheckOutput>;

  constructor(options: BTickOptions) {
    let base: URL;
    try {
      base = new URL(options.baseUrl);
    } catch {
      throw new TypeError(`BTick: baseUrl must be an absolute URL, got ${JSON.stringify(options.baseUrl)}`);
    }
    if (base.protocol !== "http:" && base.protocol !== "https:") throw new TypeError("BTick: baseUrl must be http:// or https://");
    const apiKey = (options.apiKey ?? "").trim();
    if (apiKey === "") throw new TypeError("BTick: apiKey is required");
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const retries = Math.max(0, Math.floor(options.retries ?? DEFAULT_RETRIES));
    const baseFetch: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    const url = `${base.href.replace(/\/+$/, "")}/trpc`;

    // Reads the whole answer within the timeout. Only a 2xx JSON body goes on to tRPC; anything else becomes a
    // FailedAnswerError carrying the real status, Retry-After and body.
    const fetchAnswer = async (input: string, init: FetchInit) => {
      const timeout = AbortSignal.timeout(timeoutMs);
      const given = init.signal as AbortSignal | undefined;
      const signal = given ? AbortSignal.any([given, timeout]) : timeout;
      const res = await baseFetch(input, { method: init.method, headers: init.headers, ...(init.body !== undefined ? { body: init.body } : {}), signal });
      const body = await res.text();
      const answer: FailedAnswer = { status: res.status, statusText: res.statusText, retryAfter: res.headers.get("retry-after"), body };
      if (!res.ok) throw new FailedAnswerError(answer);
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        throw new FailedAnswerError(answer);
      }
      if (typeof json !== "object" || json === null || !("result" in json)) throw new FailedAnswerError(answer);
      return { ok: true, status: res.status, statusText: res.statusText, headers: res.headers, json: () => Promise.resolve(json) };
    };

    const trpc = createTRPCClient<AppRouter>({
      links: [
        httpLink({
          url,
          fetch: fetchAnswer as never,
          headers: () => ({ ...options.headers, authorization: `Bearer ${apiKey}` }),
        }),
      ],
    });

    /** Runs one call; reads (`idempotent`) are retried after network errors and timeouts. */
    async function call<T>(procedure: string, idempotent: boolean, signal: AbortSignal | undefined, fn: () => Promise<Wire<T>>): Promise<T> {
      for (let attempt = 0; ; attempt++) {
        try {
          return (await fn()) as T;
        } catch (err) {
          const error = toBTickError(err, procedure);
          if (signal?.aborted || !idempotent || !error.isNetworkError || attempt >= retries) throw error;
          const delay = Math.random() * Math.min(4000, 250 * 2 ** attempt);
          await sleep(delay, signal);
        }
      }
    }

    type Call = <T>(procedure: string, o: RequestOptions | undefined, fn: (opts: { signal?: AbortSignal }) => Promise<Wire<T>>) => Promise<T>;
    const signalOf = (o: RequestOptions | undefined) => o?.signal as AbortSignal | undefined;
    const q: Call = (procedure, o, fn) => {
      const signal = signalOf(o);
      return call(procedure, true, signal, () => fn(signal ? { signal } : {}));
    };
    const m: Call = (procedure, o, fn) => {
      const signal = signalOf(o);
      return call(procedure, false, signal, () => fn(signal ? { signal } : {}));
    };

    async function* paginate<I extends { cursor?: string | undefined }, P, T>(
      list: (input: I, o?: RequestOptions) => Promise<P>,
      items: (page: P) => T[],
      next: (page: P) => string | null,
      input: I,
      o?: RequestOptions,
    ): AsyncIterableIterator<T> {
      let cursor: string | undefined;
      do {
        const page = await list(cursor === undefined ? input : { ...input, cursor }, o);
        yield* items(page);
        cursor = next(page) ?? undefined;
      } while (cursor !== undefined);
    }

    this.jobs = {
      create: (input, o) => m<JobsCreateOutput>("jobs.create", o, (r) => trpc.jobs.create.mutate(input, r)),
      list: (input, o) => q<JobsListOutput>("jobs.list", o, (r) => trpc.jobs.list.query(input, r)),
      iterate: (input, o) => paginate<JobsListInput, JobsListOutput, Job>(this.jobs.list, (p) => p.jobs, (p) => p.next_cursor, { ...input }, o),
      get: (input, o) => q<JobsGetOutput>("jobs.get", o, (r) => trpc.jobs.get.query(input, r)),
      update: (input, o) => m<JobsUpdateOutput>("jobs.update", o, (r) => trpc.jobs.update.mutate(input, r)),
      delete: (input, o) => m<JobsDeleteOutput>("jobs.delete", o, (r) => trpc.jobs.delete.mutate(input, r)),
      pause: (input, o) => m<JobsPauseOutput>("jobs.pause", o, (r) => trpc.jobs.pause.mutate(input, r)),
      resume: (input, o) => m<JobsResumeOutput>("jobs.resume", o, (r) => trpc.jobs.resume.mutate(input, r)),
      trigger: (input, o) => m<JobsTriggerOutput>("jobs.trigger", o, (r) => trpc.jobs.trigger.mutate(input, r)),
      rotateSigningSecret: (input, o) =>
        m<JobsRotateSigningSecretOutput>("jobs.rotateSigningSecret", o, (r) => trpc.jobs.rotateSigningSecret.mutate(input, r)),
    };
    this.runs = {
      list: (input, o) => q<RunsListOutput>("runs.list", o, (r) => trpc.runs.list.query(input, r)),
      iterate: (input, o) => paginate<RunsListInput, RunsListOutput, Run>(this.runs.list, (p) => p.runs, (p) => p.next_cursor, { ...input }, o),
      get: (input, o) => q<RunsGetOutput>("runs.get", o, (r) => trpc.runs.get.query(input, r)),
    };
    this.apiKeys = {
      create: (input, o) => m<ApiKeysCreateOutput>("apiKeys.create", o, (r) => trpc.apiKeys.create.mutate(input, r)),
      list: (input, o) => q<ApiKeysListOutput>("apiKeys.list", o, (r) => trpc.apiKeys.list.query(input, r)),
      iterate: (input, o) =>
        paginate<ApiKeysListInput, ApiKeysListOutput, ApiKey>(this.apiKeys.list, (p) => p.api_keys, (p) => p.next_cursor, { ...input }, o),
      revoke: (input, o) => m<ApiKeysRevokeOutput>("apiKeys.revoke", o, (r) => trpc.apiKeys.revoke.mutate(input, r)),
    };
    this.health = (o) => q<HealthCheckOutput>("health.check", o, (r) => trpc.health.check.query(undefined, r));
  }
}
