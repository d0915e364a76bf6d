/* eslint-disable @typescript-eslint/no-explicit-any -- black-box tests read untyped JSON bodies */
// Black-box REST harness: one freshly migrated database and one in-process server per test file.
// Requests go through `app.inject()`; rows the API cannot create (runs, attempts, odd keys) are inserted with Prisma.
import { createServer } from "node:net";

import { generateApiKey, SCOPES, type Scope } from "@btick/auth";
import { DEFAULT_JOB_LIMITS, type JobLimits } from "@btick/contract";
import { createTenantWithKey } from "@btick/contract/testing";
import { createPrismaClient, type Db } from "@btick/db";
import { createTestDatabase, type TestDatabase } from "@btick/db/testing";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import { expect } from "vitest";

import { buildServer, type ServerDeps } from "../../src/server.ts";

export { SCOPES, type Scope };

export const API = "/api/v1";

/** ISO-8601 UTC with milliseconds, as produced by `Date.prototype.toISOString()`. */
export const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const RAW_KEY_RE = /^skd_[0-9a-f]{12}_[A-Za-z0-9_-]{32}$/;

export const MISSING_ID = "00000000-0000-4000-8000-000000000000";

export const JOB_KEYS = [
  "id",
  "name",
  "method",
  "url",
  "headers",
  "body",
  "cron_expression",
  "timezone",
  "retry_max",
  "timeout_seconds",
  "enabled",
  "concurrency_policy",
  "misfire_policy",
  "misfire_catch_up_max",
  "max_runs",
  "next_run_at",
  "last_run_at",
  "created_at",
  "updated_at",
  "tenant_id",
  "created_by",
  "next_runs",
  "signing_secret_previous_expires_at",
].sort();

export const RUN_KEYS = [
  "id",
  "job_id",
  "trigger_type",
  "scheduled_for",
  "status",
  "attempt_number",
  "max_attempts",
  "request_method",
  "request_url",
  "request_headers",
  "request_body",
  "response_status_code",
  "response_headers",
  "response_body",
  "response_body_truncated",
  "response_body_bytes",
  "error_message",
  "worker_id",
  "started_at",
  "finished_at",
  "duration_ms",
].sort();

export const ATTEMPT_KEYS = [
  "attempt_number",
  "outcome",
  "response_status_code",
  "error_message",
  "started_at",
  "finished_at",
  "duration_ms",
].sort();

export const API_KEY_KEYS = [
  "id",
  "name",
  "key_prefix",
  "scopes",
  "tenant_id",
  "created_by",
  "last_used_at",
  "expires_at",
  "revoked_at",
  "created_at",
  "state",
].sort();

export interface Principal {
  tenantId: string;
  userId: string;
  rawKey: string;
  keyId: string;
}

export interface Harness {
  db: Db;
  /** Connection string of this file's database. */
  url: string;
  app: FastifyInstance;
  /** A tenant with a key holding all seven scopes. */
  tenant(scopes?: readonly Scope[]): Promise<Principal>;
  /** Adds a key to an existing tenant directly in the database. */
  addKey(
    tenantId: string,
    scopes?: readonly Scope[],
    opts?: { expiresAt?: Date | null; revokedAt?: Date | null; createdAt?: Date; name?: string },
  ): Promise<{ rawKey: string; keyId: string; keyPrefix: string }>;
  close(): Promise<void>;
}

/** Server options a test file may change: limits are merged over the harness defaults. */
export interface SetupOptions {
  limits?: Partial<JobLimits>;
  security?: ServerDeps["security"];
}

export async function setup(opts: SetupOptions = {}): Promise<Harness> {
  const tdb: TestDatabase = await createTestDatabase("btick_rest");
  // Some tests create jobs aimed at localhost: allow private targets (the policy has its own tests).
  const app = await buildServer({
    db: tdb.prisma,
    limits: { ...DEFAULT_JOB_LIMITS, allowPrivateNetworks: true, ...opts.limits },
    ...(opts.security ? { security: opts.security } : {}),
  });
  await app.ready();
  return {
    db: tdb.prisma,
    url: tdb.url,
    app,
    async tenant(scopes = SCOPES) {
      const p = await createTenantWithKey(tdb.prisma, scopes);
      return { tenantId: p.tenantId, userId: p.userId, rawKey: p.rawKey, keyId: p.keyId };
    },
    async addKey(tenantId, scopes = SCOPES, opts = {}) {
      const g = generateApiKey();
      const row = await tdb.prisma.apiKey.create({
        data: {
          tenantId,
          name: opts.name ?? "extra key",
          keyPrefix: g.prefix,
          keyHash: g.hash,
          scopes: [...scopes],
          expiresAt: opts.expiresAt ?? null,
          revokedAt: opts.revokedAt ?? null,
          ...(opts.createdAt ? { createdAt: opts.createdAt } : {}),
        },
      });
      return { rawKey: g.raw, keyId: row.id, keyPrefix: g.prefix };
    },
    async close() {
      await app.close();
      await tdb.drop();
    },
  };
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** A server whose Prisma client points at a closed port (database unreachable). */
export async function setupDeadDb(): Promise<{ app: FastifyInstance; close(): Promise<void> }> {
  const port = await closedPort();
  const db = createPrismaClient({ connectionString: `postgresql://postgres@127.0.0.1:${port}/nowhere`, max: 1 });
  const app = await buildServer({ db });
  await app.ready();
  return {
    app,
    async close() {
      await app.close();
      await db.$disconnect().catch(() => undefined);
    },
  };
}

export interface CallOptions {
  key?: string | null;
  body?: unknown;
  /** Sent verbatim (with content-type application/json unless overridden). */
  raw?: string;
  headers?: Record<string, string>;
  query?: Record<string, string>;
}

export type Method = "GET" | "POST" | "PATCH" | "DELETE" | "PUT";

/** Calls `/api/v1<path>` with `Authorization: Bearer <key>` when a key is given. */
export async function call(
  app: FastifyInstance,
  method: Method,
  path: string,
  opts: CallOptions = {},
): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  let payload: string | undefined;
  if (opts.raw !== undefined) {
    payload = opts.raw;
    headers["content-type"] ??= "application/json";
  } else if (opts.body !== undefined) {
    payload = JSON.stringify(opts.body);
    headers["content-type"] ??= "application/json";
  }
  const url = path.startsWith("/") && !path.startsWith(API) ? `${API}${path}` : path;
  return await app.inject({ method, url, headers, payload, query: opts.query });
}

export function json(res: LightMyRequestResponse): any {
  try {
    return res.json();
  } catch {
    throw new Error(`response is not JSON (status ${res.statusCode}): ${res.body.slice(0, 500)}`);
  }
}

const CODES: Record<number, string> = {
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
};

export function codeFor(status: number): string {
  return CODES[status] ?? "INTERNAL_SERVER_ERROR";
}

/**
 * Asserts the error envelope: exact status and code; the message when given; no `validation` key unless
 * `validation` is expected; never a stack trace.
 */
export function expectError(
  res: LightMyRequestResponse,
  status: number,
  message?: string | RegExp,
  opts: { validation?: boolean } = {},
): any {
  const body = json(res);
  expect({ statusCode: res.statusCode, body }).toMatchObject({
    statusCode: status,
    body: { status, error: { error_code: codeFor(status) } },
  });
  expect(typeof body.error.error_message).toBe("string");
  if (typeof message === "string") expect(body.error.error_message).toBe(message);
  else if (message) expect(body.error.error_message).toMatch(message);
  if (opts.validation) expect(Array.isArray(body.validation)).toBe(true);
  else expect(body).not.toHaveProperty("validation");
  expect(res.body).not.toMatch(/"stack"|\n\s+at /);
  expect(res.headers["content-type"]).toMatch(/application\/json/);
  return body;
}

export interface Issue {
  field: string;
  message: string;
}

/** Asserts a 400 "Validation failed" envelope and returns its issues. */
export function expectValidation(res: LightMyRequestResponse, fields?: string[]): Issue[] {
  const body = expectError(res, 400, "Validation failed", { validation: true });
  const issues = body.validation as Issue[];
  for (const issue of issues) {
    expect(Object.keys(issue).sort()).toEqual(["field", "message"]);
    expect(typeof issue.field).toBe("string");
    expect(typeof issue.message).toBe("string");
    expect(issue.message.length).toBeGreaterThan(0);
  }
  if (fields) {
    const got = issues.map((i) => i.field);
    for (const f of fields) expect(got, `validation fields ${JSON.stringify(issues)}`).toContain(f);
  }
  return issues;
}

/** The issues for one field (asserting there is at least one). */
export function issueFor(issues: Issue[], field: string): Issue {
  const found = issues.find((i) => i.field === field);
  expect(found, `no issue for ${field} in ${JSON.stringify(issues)}`).toBeDefined();
  return found as Issue;
}

export function validJob(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: "ping",
    method: "POST",
    url: "https://example.com/hook",
    cron_expression: "*/5 * * * *",
    ...overrides,
  };
}

/** Creates a job over REST, asserting 201, and returns the job object. */
export async function createJob(app: FastifyInstance, key: string, overrides: Record<string, unknown> = {}): Promise<any> {
  const res = await call(app, "POST", "/jobs", { key, body: validJob(overrides) });
  if (res.statusCode !== 201) throw new Error(`create job failed: ${res.statusCode} ${res.body}`);
  return json(res).job;
}

export function expectIso(v: unknown): void {
  expect(typeof v).toBe("string");
  expect(v).toMatch(ISO_RE);
  expect(new Date(v as string).toISOString()).toBe(v);
}

export function expectJobShape(job: any): void {
  expect(Object.keys(job).sort()).toEqual(JOB_KEYS);
  expect(job.id).toMatch(UUID_RE);
  expect(job.tenant_id).toMatch(UUID_RE);
  expectIso(job.created_at);
  expectIso(job.updated_at);
  if (job.next_run_at !== null) expectIso(job.next_run_at);
  if (job.last_run_at !== null) expectIso(job.last_run_at);
  expect(typeof job.headers).toBe("object");
  expect(Array.isArray(job.headers)).toBe(false);
  expect(Array.isArray(job.next_runs)).toBe(true);
  expect(job.next_runs).toHaveLength(5);
  for (const t of job.next_runs) expectIso(t);
  for (let i = 1; i < 5; i++) expect(Date.parse(job.next_runs[i])).toBeGreaterThan(Date.parse(job.next_runs[i - 1]));
}

export function expectRunShape(run: any, withAttempts: boolean): void {
  const keys = withAttempts ? [...RUN_KEYS, "attempts"].sort() : RUN_KEYS;
  expect(Object.keys(run).sort()).toEqual(keys);
  expect(run.id).toMatch(UUID_RE);
  expectIso(run.started_at);
  expectIso(run.scheduled_for);
  if (run.finished_at !== null) expectIso(run.finished_at);
  if (withAttempts) {
    expect(Array.isArray(run.attempts)).toBe(true);
    for (const a of run.attempts) {
      expect(Object.keys(a).sort()).toEqual(ATTEMPT_KEYS);
      expectIso(a.started_at);
      expectIso(a.finished_at);
    }
  }
}

export function expectApiKeyShape(k: any): void {
  expect(Object.keys(k).sort()).toEqual(API_KEY_KEYS);
  expect(k.id).toMatch(UUID_RE);
  expect(k.key_prefix).toMatch(/^skd_[0-9a-f]{12}$/);
  expect(Array.isArray(k.scopes)).toBe(true);
  expectIso(k.created_at);
  for (const f of ["last_used_at", "expires_at", "revoked_at"]) if (k[f] !== null) expectIso(k[f]);
  expect(["active", "expired", "revoked"]).toContain(k.state);
}

let runSeq = 0;

/** Inserts a run row directly (the worker is not part of these tests). */
export async function insertRun(
  db: Db,
  job: { id: string; tenant_id: string },
  overrides: Partial<Parameters<Db["jobRun"]["create"]>[0]["data"]> = {},
): Promise<any> {
  runSeq++;
  return await db.jobRun.create({
    data: {
      jobId: job.id,
      tenantId: job.tenant_id,
      triggerType: "scheduled",
      scheduledFor: new Date(Date.UTC(2026, 0, 1, 0, 0, 0) + runSeq * 60_000),
      status: "success",
      attemptNumber: 1,
      maxAttempts: 1,
      requestMethod: "POST",
      requestUrl: "https://example.com/hook",
      requestHeaders: {},
      ...overrides,
    } as Parameters<Db["jobRun"]["create"]>[0]["data"],
  });
}

/** Walks a list endpoint through `next_cursor` and returns every page. */
export async function walk(
  app: FastifyInstance,
  key: string,
  path: string,
  listKey: string,
  query: Record<string, string> = {},
  maxPages = 100,
): Promise<any[][]> {
  const pages: any[][] = [];
  let cursor: string | null = null;
  for (let i = 0; i < maxPages; i++) {
    const q: Record<string, string> = { ...query, ...(cursor ? { cursor } : {}) };
    const res = await call(app, "GET", path, { key, query: q });
    if (res.statusCode !== 200) throw new Error(`page ${i}: ${res.statusCode} ${res.body}`);
    const body = json(res);
    expect(Object.keys(body).sort()).toEqual([listKey, "next_cursor"].sort());
    pages.push(body[listKey]);
    cursor = body.next_cursor;
    if (cursor === null) return pages;
    expect(typeof cursor).toBe("string");
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
  }
  throw new Error("pagination did not terminate");
}

/**
 * LISTENs on `channel` in the test database (pg is resolved through @btick/db, which depends on it).
 * `count()` is the number of notifications received so far.
 */
export async function listen(url: string, channel: string): Promise<{ count(): number; waitFor(n: number, ms?: number): Promise<boolean>; close(): Promise<void> }> {
  const { createRequire } = await import("node:module");
  const req = createRequire(import.meta.resolve("@btick/db"));
  interface PgClient {
    connect(): Promise<void>;
    query(sql: string): Promise<unknown>;
    on(event: "notification", fn: (msg: { channel: string }) => void): void;
    end(): Promise<void>;
  }
  const pg = req("pg") as { Client: new (opts: { connectionString: string }) => PgClient };
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  let received = 0;
  client.on("notification", (msg) => {
    if (msg.channel === channel) received++;
  });
  await client.query(`listen "${channel}"`);
  return {
    count: () => received,
    async waitFor(n, ms = 2000) {
      const end = Date.now() + ms;
      while (received < n && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      return received >= n;
    },
    close: () => client.end(),
  };
}
