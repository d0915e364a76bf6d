// Contract test with independent tools: openapi-typescript generated the client types from the served document,
// openapi-fetch drives every operation of the document against a live server, and Ajv validates every response
// (successes and every documented error) against the document's schemas. A response status the document does not
// list, a body that does not match, or a documented status no scenario produced, all fail.
import { readFileSync } from "node:fs";

import createClient from "openapi-fetch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { addApiKey, createTenantWithKey, type TestPrincipal } from "@btick/contract/testing";
import { createPrismaClient } from "@btick/db";
import { createEmptyDatabase, createTestDatabase, type TestDatabase } from "@btick/db/testing";

import { buildServer } from "../../src/server.ts";
import type { paths } from "../generated/openapi.ts";

import { operations, schemaValidator, type OpenApiDoc } from "./schema.ts";
import { generateOpenApiTypes, TYPES_FILE } from "./typegen.ts";

type App = Awaited<ReturnType<typeof buildServer>>;
type Client = ReturnType<typeof createClient<paths>>;

let db: TestDatabase;
let app: App;
let broken: App;
let doc: OpenApiDoc;
let owner: TestPrincipal;
let full: Client;
let anonymous: Client;
let jobsReadOnly: Client;
let runsReadOnly: Client;
let failing: Client;
let brokenDb: ReturnType<typeof createPrismaClient>;
let emptyDb: Awaited<ReturnType<typeof createEmptyDatabase>>;
let down: App;
let downDb: ReturnType<typeof createPrismaClient>;
let unavailable: Client;
let limited: App;
let throttled: Client;
let validate: ReturnType<typeof schemaValidator>;
const ids = { jobId: "", runId: "", keyId: "", deleteJobId: "" };
const MISSING = "00000000-0000-4000-8000-000000000000";

const client = (baseUrl: string, key: string | null): Client =>
  createClient<paths>({ baseUrl: `${baseUrl}/api/v1`, headers: key ? { authorization: `Bearer ${key}` } : {} });

beforeAll(async () => {
  db = await createTestDatabase("btick_contract");
  owner = await createTenantWithKey(db.prisma);
  app = await buildServer({ db: db.prisma });
  const baseUrl = await app.listen({ port: 0, host: "127.0.0.1" });
  doc = (await (await fetch(`${baseUrl}/api/v1/openapi.json`)).json()) as OpenApiDoc;
  validate = schemaValidator(doc);
  full = client(baseUrl, owner.rawKey);
  anonymous = client(baseUrl, null);
  jobsReadOnly = client(baseUrl, (await addApiKey(db.prisma, owner.tenantId, ["jobs:read"])).rawKey);
  runsReadOnly = client(baseUrl, (await addApiKey(db.prisma, owner.tenantId, ["runs:read"])).rawKey);
  ids.keyId = (await addApiKey(db.prisma, owner.tenantId, ["jobs:read"], { name: "to revoke" })).keyId;

  // A second server on a database without BTick's tables: every authenticated operation fails with a 500 (a bug,
  // as far as the server can tell). A third whose database is unreachable: the same operations answer 503.
  emptyDb = await createEmptyDatabase("btick_contract_empty");
  brokenDb = createPrismaClient({ connectionString: emptyDb.url, max: 1, applicationName: "contract-test" });
  broken = await buildServer({ db: brokenDb });
  failing = client(await broken.listen({ port: 0, host: "127.0.0.1" }), owner.rawKey);
  downDb = createPrismaClient({ connectionString: "postgresql://nobody:nothing@127.0.0.1:1/none", max: 1, applicationName: "contract-test" });
  down = await buildServer({ db: downDb });
  unavailable = client(await down.listen({ port: 0, host: "127.0.0.1" }), owner.rawKey);
  // A fourth allows one request per minute per key: its key (of another tenant) is over the limit at once.
  limited = await buildServer({ db: db.prisma, security: { rateLimitPerMinute: 1, authFailuresPerMinute: 0 } });
  throttled = client(await limited.listen({ port: 0, host: "127.0.0.1" }), (await createTenantWithKey(db.prisma)).rawKey);
});

afterAll(async () => {
  await app?.close();
  await broken?.close();
  await down?.close();
  await limited?.close();
  await brokenDb?.$disconnect().catch(() => undefined);
  await downDb?.$disconnect().catch(() => undefined);
  await emptyDb?.drop();
  await db?.drop();
});

interface Result {
  data?: unknown;
  error?: unknown;
  response: Response;
}

type Scenario = [operation: string, status: number, call: () => Promise<Result>];

const jobBody = { name: "contract job", method: "POST", url: "https://example.com/hook", cron_expression: "*/5 * * * *", body: { a: 1 } };
const invalidJob = { name: "", method: "GET", url: "nope", cron_expression: "0 0 31 2 *" };
const job = () => ({ params: { path: { jobId: ids.jobId } } });
const jobIdOf = (jobId: string) => ({ params: { path: { jobId } } });

/**
 * The call made with the throttled key until it is refused. One request per minute is allowed, so of three calls in
 * a row two fall in the same minute and the later one is a 429.
 */
function overTheLimit(call: (c: Client) => Promise<Result>): () => Promise<Result> {
  return async () => {
    let result = await call(throttled);
    for (let i = 0; i < 2 && result.response.status !== 429; i++) result = await call(throttled);
    return result;
  };
}

/** Sends the JSON body labelled as plain text. */
const asText = { headers: { "content-type": "text/plain" }, bodySerializer: (b: unknown) => JSON.stringify(b) };

/** A body over the server's 1 MiB limit. */
const hugeBody = { name: "x".repeat(1024 * 1024 + 1) };

/**
 * Every 500 scenario (the table-less database) has a 503 twin: the same call against the server whose database
 * cannot be reached.
 */
function withOutages(list: Scenario[]): Scenario[] {
  return list.flatMap((scenario): Scenario[] => {
    const [operation, status, call] = scenario;
    if (status !== 500) return [scenario];
    const twin: Scenario = [
      operation,
      503,
      async () => {
        const saved = failing;
        failing = unavailable;
        try {
          return await call();
        } finally {
          failing = saved;
        }
      },
    ];
    return [scenario, twin];
  });
}

function scenarios(): Scenario[] {
  return withOutages([
    ["get /health", 200, () => anonymous.GET("/health")],

    ["post /jobs", 201, () => full.POST("/jobs", { body: jobBody })],
    ["post /jobs", 400, () => full.POST("/jobs", { body: invalidJob })],
    ["post /jobs", 401, () => anonymous.POST("/jobs", { body: jobBody })],
    ["post /jobs", 403, () => jobsReadOnly.POST("/jobs", { body: jobBody })],
    ["post /jobs", 500, () => failing.POST("/jobs", { body: jobBody })],

    ["get /jobs", 200, () => full.GET("/jobs", { params: { query: { limit: 10, enabled: true } } })],
    ["get /jobs", 400, () => full.GET("/jobs", { params: { query: { limit: 0 } } })],
    ["get /jobs", 401, () => anonymous.GET("/jobs")],
    ["get /jobs", 403, () => runsReadOnly.GET("/jobs")],
    ["get /jobs", 500, () => failing.GET("/jobs")],

    ["get /jobs/{jobId}", 200, () => full.GET("/jobs/{jobId}", job())],
    ["get /jobs/{jobId}", 400, () => full.GET("/jobs/{jobId}", jobIdOf("nope"))],
    ["get /jobs/{jobId}", 401, () => anonymous.GET("/jobs/{jobId}", job())],
    ["get /jobs/{jobId}", 403, () => runsReadOnly.GET("/jobs/{jobId}", job())],
    ["get /jobs/{jobId}", 404, () => full.GET("/jobs/{jobId}", jobIdOf(MISSING))],
    ["get /jobs/{jobId}", 500, () => failing.GET("/jobs/{jobId}", job())],

    ["patch /jobs/{jobId}", 200, () => full.PATCH("/jobs/{jobId}", { ...job(), body: { name: "patched", body: null } })],
    ["patch /jobs/{jobId}", 400, () => full.PATCH("/jobs/{jobId}", { ...job(), body: { timezone: "Mars/Olympus" } })],
    ["patch /jobs/{jobId}", 401, () => anonymous.PATCH("/jobs/{jobId}", { ...job(), body: { name: "x" } })],
    ["patch /jobs/{jobId}", 403, () => jobsReadOnly.PATCH("/jobs/{jobId}", { ...job(), body: { name: "x" } })],
    ["patch /jobs/{jobId}", 404, () => full.PATCH("/jobs/{jobId}", { ...jobIdOf(MISSING), body: { name: "x" } })],
    ["patch /jobs/{jobId}", 500, () => failing.PATCH("/jobs/{jobId}", { ...job(), body: { name: "x" } })],

    ["post /jobs/{jobId}/pause", 200, () => full.POST("/jobs/{jobId}/pause", job())],
    ["post /jobs/{jobId}/pause", 400, () => full.POST("/jobs/{jobId}/pause", jobIdOf("nope"))],
    ["post /jobs/{jobId}/pause", 401, () => anonymous.POST("/jobs/{jobId}/pause", job())],
    ["post /jobs/{jobId}/pause", 403, () => jobsReadOnly.POST("/jobs/{jobId}/pause", job())],
    ["post /jobs/{jobId}/pause", 404, () => full.POST("/jobs/{jobId}/pause", jobIdOf(MISSING))],
    ["post /jobs/{jobId}/pause", 500, () => failing.POST("/jobs/{jobId}/pause", job())],

    ["post /jobs/{jobId}/resume", 200, () => full.POST("/jobs/{jobId}/resume", job())],
    ["post /jobs/{jobId}/resume", 400, () => full.POST("/jobs/{jobId}/resume", jobIdOf("nope"))],
    ["post /jobs/{jobId}/resume", 401, () => anonymous.POST("/jobs/{jobId}/resume", job())],
    ["post /jobs/{jobId}/resume", 403, () => jobsReadOnly.POST("/jobs/{jobId}/resume", job())],
    ["post /jobs/{jobId}/resume", 404, () => full.POST("/jobs/{jobId}/resume", jobIdOf(MISSING))],
    ["post /jobs/{jobId}/resume", 500, () => failing.POST("/jobs/{jobId}/resume", job())],

    ["post /jobs/{jobId}/trigger", 202, () => full.POST("/jobs/{jobId}/trigger", job())],
    ["post /jobs/{jobId}/trigger", 400, () => full.POST("/jobs/{jobId}/trigger", jobIdOf("nope"))],
    ["post /jobs/{jobId}/trigger", 401, () => anonymous.POST("/jobs/{jobId}/trigger", job())],
    ["post /jobs/{jobId}/trigger", 403, () => jobsReadOnly.POST("/jobs/{jobId}/trigger", job())],
    ["post /jobs/{jobId}/trigger", 404, () => full.POST("/jobs/{jobId}/trigger", jobIdOf(MISSING))],
    ["post /jobs/{jobId}/trigger", 500, () => failing.POST("/jobs/{jobId}/trigger", job())],

    ["post /jobs/{jobId}/rotate-signing-secret", 200, () => full.POST("/jobs/{jobId}/rotate-signing-secret", { ...job(), body: { previous_secret_expires_in_seconds: 60 } })],
    ["post /jobs/{jobId}/rotate-signing-secret", 400, () => full.POST("/jobs/{jobId}/rotate-signing-secret", { ...job(), body: { previous_secret_expires_in_seconds: -1 } })],
    ["post /jobs/{jobId}/rotate-signing-secret", 401, () => anonymous.POST("/jobs/{jobId}/rotate-signing-secret", { ...job(), body: {} })],
    ["post /jobs/{jobId}/rotate-signing-secret", 403, () => jobsReadOnly.POST("/jobs/{jobId}/rotate-signing-secret", { ...job(), body: {} })],
    ["post /jobs/{jobId}/rotate-signing-secret", 404, () => full.POST("/jobs/{jobId}/rotate-signing-secret", { ...jobIdOf(MISSING), body: {} })],
    ["post /jobs/{jobId}/rotate-signing-secret", 500, () => failing.POST("/jobs/{jobId}/rotate-signing-secret", { ...job(), body: {} })],

    ["get /jobs/{jobId}/runs", 200, () => full.GET("/jobs/{jobId}/runs", { params: { path: { jobId: ids.jobId }, query: { limit: 5, status: "success" } } })],
    ["get /jobs/{jobId}/runs", 400, () => full.GET("/jobs/{jobId}/runs", jobIdOf("nope"))],
    ["get /jobs/{jobId}/runs", 401, () => anonymous.GET("/jobs/{jobId}/runs", job())],
    ["get /jobs/{jobId}/runs", 403, () => jobsReadOnly.GET("/jobs/{jobId}/runs", job())],
    ["get /jobs/{jobId}/runs", 404, () => full.GET("/jobs/{jobId}/runs", jobIdOf(MISSING))],
    ["get /jobs/{jobId}/runs", 500, () => failing.GET("/jobs/{jobId}/runs", job())],

    ["get /runs/{runId}", 200, () => full.GET("/runs/{runId}", { params: { path: { runId: ids.runId } } })],
    ["get /runs/{runId}", 400, () => full.GET("/runs/{runId}", { params: { path: { runId: "nope" } } })],
    ["get /runs/{runId}", 401, () => anonymous.GET("/runs/{runId}", { params: { path: { runId: ids.runId } } })],
    ["get /runs/{runId}", 403, () => jobsReadOnly.GET("/runs/{runId}", { params: { path: { runId: ids.runId } } })],
    ["get /runs/{runId}", 404, () => full.GET("/runs/{runId}", { params: { path: { runId: MISSING } } })],
    ["get /runs/{runId}", 500, () => failing.GET("/runs/{runId}", { params: { path: { runId: ids.runId } } })],

    ["post /api-keys", 201, () => full.POST("/api-keys", { body: { name: "contract key", scopes: ["jobs:read"], expires_at: "2031-01-01T00:00:00.000Z" } })],
    ["post /api-keys", 400, () => full.POST("/api-keys", { body: { name: "bad", scopes: [] } })],
    ["post /api-keys", 401, () => anonymous.POST("/api-keys", { body: { name: "k", scopes: ["jobs:read"] } })],
    ["post /api-keys", 403, () => jobsReadOnly.POST("/api-keys", { body: { name: "k", scopes: ["jobs:read"] } })],
    ["post /api-keys", 500, () => failing.POST("/api-keys", { body: { name: "k", scopes: ["jobs:read"] } })],

    ["get /api-keys", 200, () => full.GET("/api-keys", { params: { query: { limit: 2 } } })],
    ["get /api-keys", 400, () => full.GET("/api-keys", { params: { query: { limit: 501 } } })],
    ["get /api-keys", 401, () => anonymous.GET("/api-keys")],
    ["get /api-keys", 403, () => jobsReadOnly.GET("/api-keys")],
    ["get /api-keys", 500, () => failing.GET("/api-keys")],

    ["post /api-keys/{keyId}/revoke", 200, () => full.POST("/api-keys/{keyId}/revoke", { params: { path: { keyId: ids.keyId } } })],
    ["post /api-keys/{keyId}/revoke", 400, () => full.POST("/api-keys/{keyId}/revoke", { params: { path: { keyId: "nope" } } })],
    ["post /api-keys/{keyId}/revoke", 401, () => anonymous.POST("/api-keys/{keyId}/revoke", { params: { path: { keyId: ids.keyId } } })],
    ["post /api-keys/{keyId}/revoke", 403, () => jobsReadOnly.POST("/api-keys/{keyId}/revoke", { params: { path: { keyId: ids.keyId } } })],
    ["post /api-keys/{keyId}/revoke", 404, () => full.POST("/api-keys/{keyId}/revoke", { params: { path: { keyId: MISSING } } })],
    ["post /api-keys/{keyId}/revoke", 500, () => failing.POST("/api-keys/{keyId}/revoke", { params: { path: { keyId: ids.keyId } } })],

    // Last: deletion (of a job made for it).
    ["delete /jobs/{jobId}", 400, () => full.DELETE("/jobs/{jobId}", jobIdOf("nope"))],
    ["delete /jobs/{jobId}", 401, () => anonymous.DELETE("/jobs/{jobId}", jobIdOf(ids.deleteJobId))],
    ["delete /jobs/{jobId}", 403, () => jobsReadOnly.DELETE("/jobs/{jobId}", jobIdOf(ids.deleteJobId))],
    ["delete /jobs/{jobId}", 500, () => failing.DELETE("/jobs/{jobId}", jobIdOf(ids.deleteJobId))],
    ["delete /jobs/{jobId}", 200, () => full.DELETE("/jobs/{jobId}", jobIdOf(ids.deleteJobId))],
    ["delete /jobs/{jobId}", 404, () => full.DELETE("/jobs/{jobId}", jobIdOf(ids.deleteJobId))],

    ["post /schedule/preview", 200, () => full.POST("/schedule/preview", { body: { cron_expression: "0 2 * * 1-5", timezone: "Europe/Berlin" } })],
    ["post /schedule/preview", 400, () => full.POST("/schedule/preview", { body: { cron_expression: 5 as unknown as string } })],
    ["post /schedule/preview", 401, () => anonymous.POST("/schedule/preview", { body: { cron_expression: "* * * * *" } })],
    ["post /schedule/preview", 403, () => runsReadOnly.POST("/schedule/preview", { body: { cron_expression: "* * * * *" } })],
    ["post /schedule/preview", 500, () => failing.POST("/schedule/preview", { body: { cron_expression: "* * * * *" } })],

    // Over the rate limit: every operation but the health probe.
    ["post /jobs", 429, overTheLimit((c) => c.POST("/jobs", { body: jobBody }))],
    ["get /jobs", 429, overTheLimit((c) => c.GET("/jobs"))],
    ["get /jobs/{jobId}", 429, overTheLimit((c) => c.GET("/jobs/{jobId}", job()))],
    ["patch /jobs/{jobId}", 429, overTheLimit((c) => c.PATCH("/jobs/{jobId}", { ...job(), body: { name: "x" } }))],
    ["delete /jobs/{jobId}", 429, overTheLimit((c) => c.DELETE("/jobs/{jobId}", jobIdOf(MISSING)))],
    ["post /jobs/{jobId}/pause", 429, overTheLimit((c) => c.POST("/jobs/{jobId}/pause", job()))],
    ["post /jobs/{jobId}/resume", 429, overTheLimit((c) => c.POST("/jobs/{jobId}/resume", job()))],
    ["post /jobs/{jobId}/trigger", 429, overTheLimit((c) => c.POST("/jobs/{jobId}/trigger", job()))],
    ["post /jobs/{jobId}/rotate-signing-secret", 429, overTheLimit((c) => c.POST("/jobs/{jobId}/rotate-signing-secret", { ...job(), body: {} }))],
    ["get /jobs/{jobId}/runs", 429, overTheLimit((c) => c.GET("/jobs/{jobId}/runs", job()))],
    ["get /runs/{runId}", 429, overTheLimit((c) => c.GET("/runs/{runId}", { params: { path: { runId: ids.runId } } }))],
    ["post /api-keys", 429, overTheLimit((c) => c.POST("/api-keys", { body: { name: "k", scopes: ["jobs:read"] } }))],
    ["get /api-keys", 429, overTheLimit((c) => c.GET("/api-keys"))],
    ["post /api-keys/{keyId}/revoke", 429, overTheLimit((c) => c.POST("/api-keys/{keyId}/revoke", { params: { path: { keyId: MISSING } } }))],
    ["post /schedule/preview", 429, overTheLimit((c) => c.POST("/schedule/preview", { body: { cron_expression: "* * * * *" } }))],

    // Bodies that are not JSON are refused before any procedure runs.
    ["post /jobs", 415, () => full.POST("/jobs", { body: jobBody, ...asText })],
    ["patch /jobs/{jobId}", 415, () => full.PATCH("/jobs/{jobId}", { ...job(), body: { name: "x" }, ...asText })],
    ["post /api-keys", 415, () => full.POST("/api-keys", { body: { name: "k", scopes: ["jobs:read"] }, ...asText })],
    ["post /jobs/{jobId}/rotate-signing-secret", 415, () => full.POST("/jobs/{jobId}/rotate-signing-secret", { ...job(), body: {}, ...asText })],
    ["post /schedule/preview", 415, () => full.POST("/schedule/preview", { body: { cron_expression: "* * * * *" }, ...asText })],

    // Bodies over the limit are refused before any procedure runs.
    ["post /jobs", 413, () => full.POST("/jobs", { body: { ...jobBody, ...hugeBody } })],
    ["patch /jobs/{jobId}", 413, () => full.PATCH("/jobs/{jobId}", { ...job(), body: hugeBody })],
    ["post /api-keys", 413, () => full.POST("/api-keys", { body: { ...hugeBody, scopes: ["jobs:read"] } })],
    ["post /jobs/{jobId}/rotate-signing-secret", 413, () => full.POST("/jobs/{jobId}/rotate-signing-secret", { ...job(), body: hugeBody as object })],
    ["post /schedule/preview", 413, () => full.POST("/schedule/preview", { body: { cron_expression: hugeBody.name } })],
  ]);
}

describe("OpenAPI contract (openapi-typescript + openapi-fetch + Ajv)", () => {
  it("the committed generated types match the served document (regenerate: pnpm --filter @btick/api openapi:types)", async () => {
    expect(readFileSync(TYPES_FILE, "utf8")).toBe(await generateOpenApiTypes(doc));
  });

  it("every documented response of every operation is produced by the server and matches its schema", async () => {
    const created = await full.POST("/jobs", { body: jobBody });
    expect(created.response.status).toBe(201);
    ids.jobId = created.data?.job.id ?? "";
    ids.deleteJobId = (await full.POST("/jobs", { body: { ...jobBody, name: "to delete" } })).data?.job.id ?? "";
    const run = await db.prisma.jobRun.create({
      data: {
        jobId: ids.jobId,
        tenantId: owner.tenantId,
        scheduledFor: new Date("2026-01-01T00:00:00.000Z"),
        status: "success",
        attemptNumber: 1,
        maxAttempts: 1,
        requestMethod: "POST",
        requestUrl: "https://example.com/hook",
        finishedAt: new Date("2026-01-01T00:00:00.250Z"),
        durationMs: 250,
        responseStatusCode: 200,
        responseHeaders: { "content-type": ["text/plain"] },
        responseBody: "ok",
        responseBodyBytes: 2,
        attempts: {
          create: [{ attemptNumber: 1, outcome: "success", responseStatusCode: 200, startedAt: new Date("2026-01-01T00:00:00.000Z"), finishedAt: new Date("2026-01-01T00:00:00.250Z"), durationMs: 250 }],
        },
      },
    });
    ids.runId = run.id;

    const failures: string[] = [];
    const covered = new Set<string>();
    for (const [operation, expected, call] of scenarios()) {
      const [method, path] = operation.split(" ") as [string, string];
      const result = await call();
      const status = result.response.status;
      const label = `${operation} → ${status}`;
      covered.add(`${operation} ${status}`);
      if (status !== expected) failures.push(`${label}: expected ${expected} (${JSON.stringify(result.error ?? result.data)})`);
      const documented = doc.paths[path]?.[method]?.responses[String(status)];
      if (!documented) {
        failures.push(`${label}: status not documented`);
        continue;
      }
      const media = documented.content?.["application/json"];
      if (status === 429 && !result.response.headers.get("retry-after")) failures.push(`${label}: no Retry-After header`);
      if (!result.response.headers.get("content-type")?.startsWith("application/json")) failures.push(`${label}: not JSON`);
      const problem = validate(media?.schema, result.data ?? result.error);
      if (problem) failures.push(`${label}: body does not match the documented schema: ${problem}`);
    }
    expect(failures).toEqual([]);

    const documented = operations(doc).flatMap(([m, p, op]) => Object.keys(op.responses).map((s) => `${m} ${p} ${s}`));
    expect([...covered].sort()).toEqual(documented.sort());
  });
});
