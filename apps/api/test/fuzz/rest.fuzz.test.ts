// Property tests over the whole REST surface: random and malformed bodies, query strings, path ids, content types
// and credentials, sent as tenant B. Whatever arrives, the API answers below 500 with JSON, errors always use the
// envelope, nothing leaks a stack trace, successful bodies only hold B's rows, and tenant A's rows are unchanged.
import fc from "fast-check";
import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { API, createJob, insertRun, json, setup, type Harness, type Principal } from "../rest/harness.ts";

/** Runs per endpoint; the whole file stays well under a minute. */
const RUNS = 120;

let h: Harness;
let a: Principal;
let b: Principal;
let bReadOnly: { rawKey: string };
let bSpare: { keyId: string };
const ids = { jobA: "", runA: "", keyA: "", jobB: "", runB: "", keyB: "" };

beforeAll(async () => {
  h = await setup();
  a = await h.tenant();
  b = await h.tenant();
  bReadOnly = await h.addKey(b.tenantId, ["jobs:read", "runs:read"]);
  // The key id fuzzed against apiKeys.revoke (revoking the key the fuzzer uses would end the test early).
  bSpare = await h.addKey(b.tenantId, ["jobs:read"]);
  const jobA = await createJob(h.app, a.rawKey, { name: "a-job", headers: { Authorization: "Bearer a-secret" }, body: { a: 1 } });
  await createJob(h.app, a.rawKey, { name: "a-paused", enabled: false });
  const runA = await insertRun(h.db, jobA);
  await h.db.jobRunAttempt.create({
    data: { runId: runA.id, attemptNumber: 1, outcome: "success", startedAt: new Date(), finishedAt: new Date(), durationMs: 5 },
  });
  await h.db.manualTrigger.create({ data: { jobId: jobA.id, triggeredBy: "user:a" } });
  const keyA = await h.addKey(a.tenantId, ["jobs:read"]);
  const jobB = await createJob(h.app, b.rawKey, { name: "b-job" });
  const runB = await insertRun(h.db, jobB);
  Object.assign(ids, { jobA: jobA.id, runA: runA.id, keyA: keyA.keyId, jobB: jobB.id, runB: runB.id, keyB: bSpare.keyId });
}, 60_000);
afterAll(async () => {
  await h?.close();
});

/** Every row of tenant A, in a stable order (`last_used_at` included: A's keys are never used while fuzzing). */
async function snapshotTenant(tenantId: string): Promise<string> {
  const [tenant, users, jobs, runs, attempts, keys, triggers] = await Promise.all([
    h.db.tenant.findUnique({ where: { id: tenantId } }),
    h.db.user.findMany({ where: { tenantId }, orderBy: { id: "asc" } }),
    h.db.job.findMany({ where: { tenantId }, orderBy: { id: "asc" } }),
    h.db.jobRun.findMany({ where: { tenantId }, orderBy: { id: "asc" } }),
    h.db.jobRunAttempt.findMany({ where: { run: { tenantId } }, orderBy: { id: "asc" } }),
    h.db.apiKey.findMany({ where: { tenantId }, orderBy: { id: "asc" } }),
    h.db.manualTrigger.findMany({ where: { job: { tenantId } }, orderBy: { id: "asc" } }),
  ]);
  return JSON.stringify({ tenant, users, jobs, runs, attempts, keys, triggers }, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}

// ---- arbitraries ----

/** encodeURIComponent, with lone surrogates (which it refuses) replaced first. */
const enc = (s: string) => encodeURIComponent(s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd"));

const nasty = fc.constantFrom(
  "",
  " ",
  "null",
  "undefined",
  "0",
  "-1",
  "1e309",
  "NaN",
  "true",
  "%00",
  "\u0000",
  "../..",
  "'; drop table jobs; --",
  "${jndi:x}",
  "<script>",
  "\ud800",
  "🙂".repeat(50),
  "a".repeat(5000),
  "00000000-0000-0000-0000-000000000000",
  "ffffffff-ffff-ffff-ffff-ffffffffffff",
);
const anyString = fc.oneof(fc.string(), fc.string({ unit: "grapheme", maxLength: 40 }), nasty);
const anyJson = fc.oneof(fc.jsonValue({ maxDepth: 3 }), anyString, fc.constant(null));

/** Path ids: B's and A's real ids (read when generated: they exist only after beforeAll), other UUIDs and garbage. */
const idOf = (kind: "job" | "run" | "key", tenant: "A" | "B") =>
  tenant === "A" ? (kind === "job" ? ids.jobA : kind === "run" ? ids.runA : ids.keyA) : kind === "job" ? ids.jobB : kind === "run" ? ids.runB : ids.keyB;
const pathId = (kind: "job" | "run" | "key") =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constant("B" as const).map((t) => idOf(kind, t)) },
    { weight: 3, arbitrary: fc.constant("A" as const).map((t) => idOf(kind, t)) },
    { weight: 2, arbitrary: fc.uuid() },
    { weight: 2, arbitrary: anyString },
  );

const headerName = fc.oneof(fc.constantFrom("Authorization", "X-Api-Key", "Accept", "Host", "content-length", "X-Secret", ""), fc.string({ maxLength: 30 }));
const jobFields = fc.record(
  {
    name: fc.oneof(anyString, anyJson),
    method: fc.oneof(fc.constantFrom("GET", "post", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "CONNECT"), anyJson),
    url: fc.oneof(fc.webUrl(), fc.constantFrom("http://127.0.0.1/x", "http://[::1]/", "file:///etc/passwd", "https:///x", "javascript:alert(1)"), anyJson),
    headers: fc.oneof(fc.dictionary(headerName, fc.oneof(anyString, fc.constant("***"), anyJson), { maxKeys: 6 }), anyJson),
    body: anyJson,
    cron_expression: fc.oneof(fc.constantFrom("* * * * *", "*/5 * * * *", "0 0 31 2 *", "@hourly", "* * * * * *", "61 * * * *"), anyString, anyJson),
    timezone: fc.oneof(fc.constantFrom("UTC", "Europe/Berlin", "Mars/Olympus"), anyJson),
    retry_max: fc.oneof(fc.integer({ min: -5, max: 20 }), anyJson),
    timeout_seconds: fc.oneof(fc.integer({ min: -5, max: 2000 }), fc.double(), anyJson),
    enabled: fc.oneof(fc.boolean(), anyJson),
    // Fields of other endpoints and unknown ones.
    scopes: fc.oneof(fc.array(fc.constantFrom("jobs:read", "jobs:write", "jobs:delete", "jobs:trigger", "runs:read", "keys:read", "keys:write", "admin")), anyJson),
    expires_at: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), anyJson),
    previous_secret_expires_in_seconds: fc.oneof(fc.integer({ min: -10, max: 3_000_000 }), anyJson),
    jobId: fc.oneof(fc.uuid(), anyJson),
    tenant_id: fc.constant("00000000-0000-4000-8000-000000000000"),
    [String("__proto__")]: fc.constant({ polluted: true }),
  },
  { requiredKeys: [] },
);

/** A request body: structured-but-wrong JSON, arbitrary JSON, or bytes that are not JSON at all. */
const bodyArb = fc.oneof(
  { weight: 5, arbitrary: jobFields.map((o) => JSON.stringify(o)) },
  { weight: 2, arbitrary: anyJson.map((v) => JSON.stringify(v)) },
  { weight: 2, arbitrary: fc.string() },
  { weight: 1, arbitrary: fc.constantFrom("{", "[1,", '{"name":', "{'a':1}", '{"a":1}}', "\u0000", "[".repeat(3000) + "]".repeat(3000), `{"x":"${"y".repeat(300_000)}"}`) },
  { weight: 1, arbitrary: fc.constant(undefined) },
);
const contentType = fc.constantFrom(
  "application/json",
  "application/json",
  "application/json; charset=utf-8",
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "",
);

const queryArb = fc
  .array(
    fc.tuple(
      fc.oneof(fc.constantFrom("limit", "cursor", "enabled", "q", "status", "trigger_type", "jobId", "tenant_id"), fc.string({ maxLength: 10 })),
      fc.oneof(fc.constantFrom("", "0", "1", "50", "500", "501", "-1", "abc", "true", "false", "success", "manual", "eyJ4IjoxfQ"), anyString),
    ),
    { maxLength: 5 },
  )
  .map((pairs) => pairs.map(([k, v]) => `${enc(k)}=${enc(v)}`).join("&"));

const credentials = fc.oneof(
  { weight: 8, arbitrary: fc.constant("full") },
  { weight: 1, arbitrary: fc.constant("readonly") },
  { weight: 1, arbitrary: fc.constantFrom("none", "garbage", "Bearer skd_000000000000_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "Basic Zm9vOmJhcg==") },
);

interface Endpoint {
  name: string;
  method: "GET" | "POST" | "PATCH" | "DELETE";
  /** The path for a (URL-encoded) id; ignored by endpoints without one. */
  path: (id: string) => string;
  idKind?: "job" | "run" | "key";
}

const ENDPOINTS: Endpoint[] = [
  { name: "health.check", method: "GET", path: () => "/health" },
  { name: "jobs.create", method: "POST", path: () => "/jobs" },
  { name: "jobs.list", method: "GET", path: () => "/jobs" },
  { name: "jobs.get", method: "GET", path: (id) => `/jobs/${id}`, idKind: "job" },
  { name: "jobs.update", method: "PATCH", path: (id) => `/jobs/${id}`, idKind: "job" },
  { name: "jobs.delete", method: "DELETE", path: (id) => `/jobs/${id}`, idKind: "job" },
  { name: "jobs.pause", method: "POST", path: (id) => `/jobs/${id}/pause`, idKind: "job" },
  { name: "jobs.resume", method: "POST", path: (id) => `/jobs/${id}/resume`, idKind: "job" },
  { name: "jobs.trigger", method: "POST", path: (id) => `/jobs/${id}/trigger`, idKind: "job" },
  { name: "jobs.rotateSigningSecret", method: "POST", path: (id) => `/jobs/${id}/rotate-signing-secret`, idKind: "job" },
  { name: "runs.list", method: "GET", path: (id) => `/jobs/${id}/runs`, idKind: "job" },
  { name: "runs.get", method: "GET", path: (id) => `/runs/${id}`, idKind: "run" },
  { name: "apiKeys.create", method: "POST", path: () => "/api-keys" },
  { name: "apiKeys.list", method: "GET", path: () => "/api-keys" },
  { name: "apiKeys.revoke", method: "POST", path: (id) => `/api-keys/${id}/revoke`, idKind: "key" },
];

const pathArb = (ep: Endpoint) => (ep.idKind ? pathId(ep.idKind).map((id) => ep.path(enc(id))) : fc.constant(ep.path("")));

async function send(method: string, url: string, auth: string, body: string | undefined, ct: string): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = {};
  if (auth === "full") headers.authorization = `Bearer ${b.rawKey}`;
  else if (auth === "readonly") headers.authorization = `Bearer ${bReadOnly.rawKey}`;
  else if (auth === "garbage") headers.authorization = "Bearer \u00ff\u00fe";
  else if (auth !== "none") headers.authorization = auth;
  if (body !== undefined && ct) headers["content-type"] = ct;
  return h.app.inject({ method: method as "GET", url, headers, ...(body !== undefined ? { payload: body } : {}) });
}

const ENVELOPE_KEYS = new Set(["status", "error", "validation"]);

/** The invariants every response must satisfy. */
function checkResponse(res: LightMyRequestResponse, what: string): void {
  const ctx = `${what} → ${res.statusCode} ${res.body.slice(0, 300)}`;
  expect(res.statusCode, ctx).toBeGreaterThanOrEqual(200);
  expect(res.statusCode, ctx).toBeLessThan(500);
  expect(res.body, ctx).not.toMatch(/\n\s+at |"stack"|node_modules|Invalid `prisma|PrismaClient|ZodError|TRPCError/);
  expect(res.headers["content-type"], ctx).toMatch(/^application\/json/);
  const body = json(res);
  if (res.statusCode >= 400) {
    expect(Object.keys(body).every((k) => ENVELOPE_KEYS.has(k)), ctx).toBe(true);
    expect(body.status, ctx).toBe(res.statusCode);
    expect(typeof body.error?.error_code, ctx).toBe("string");
    expect(typeof body.error?.error_message, ctx).toBe("string");
    if ("validation" in body) {
      expect(res.statusCode, ctx).toBe(400);
      expect(Array.isArray(body.validation), ctx).toBe(true);
      for (const issue of body.validation) expect(Object.keys(issue).sort(), ctx).toEqual(["field", "message"]);
    }
    return;
  }
  // Whatever succeeded belongs to B: no tenant id but B's, none of A's ids, no plain secret header value.
  const text = res.body;
  for (const tenantId of text.match(/"tenant_id":"[^"]*"/g) ?? []) expect(tenantId, ctx).toBe(`"tenant_id":"${b.tenantId}"`);
  for (const id of [ids.jobA, ids.runA, ids.keyA]) expect(text, ctx).not.toContain(id);
  expect(text, ctx).not.toContain("a-secret");
}

describe("REST fuzzing as tenant B", () => {
  let before: string;
  beforeAll(async () => {
    before = await snapshotTenant(a.tenantId);
  });

  for (const ep of ENDPOINTS) {
    it(`${ep.method} ${ep.name}: never a 500, a stack trace or a non-envelope error; tenant A untouched`, async () => {
      await fc.assert(
        fc.asyncProperty(pathArb(ep), queryArb, bodyArb, contentType, credentials, async (path, query, body, ct, auth) => {
          const url = `${API}${path}${query ? `?${query}` : ""}`;
          const res = await send(ep.method, url, auth, ep.method === "GET" ? undefined : body, ct);
          checkResponse(res, `${ep.method} ${url} [${auth}, ${ct}] ${String(body).slice(0, 200)}`);
        }),
        { numRuns: RUNS, endOnFailure: true },
      );
      expect(await snapshotTenant(a.tenantId)).toBe(before);

    });
  }

  it("unknown paths and methods under /api/v1 answer with the envelope", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"),
        fc.array(fc.oneof(anyString.map(enc), fc.constantFrom("jobs", "runs", "api-keys", "%", "%zz", ".."), fc.constant("").map(() => ids.jobA)), { maxLength: 4 }),
        bodyArb,
        async (method, parts, body) => {
          const url = `${API}/${parts.join("/")}`;
          const res = await send(method, url, "full", method === "GET" ? undefined : body, "application/json");
          if (method === "OPTIONS" && res.statusCode === 204) return;
          checkResponse(res, `${method} ${url}`);
        },
      ),
      { numRuns: RUNS, endOnFailure: true },
    );
    expect(await snapshotTenant(a.tenantId)).toBe(before);
  });
});

describe("inputs PostgreSQL cannot store", () => {
  // Found by this suite: U+0000 in any string reached the database and failed there (500).
  it("NUL characters in any field, header, body or query are a validation error", async () => {
    const withNul = fc.oneof(anyString, fc.constant("")).map((s) => `${s}\u0000${s}`);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("name", "url", "cron_expression", "timezone", "headers", "body", "bodyKey", "apiKeyName", "q", "cursor"),
        withNul,
        async (field, value) => {
          const job = { name: "n", method: "POST", url: "https://example.com/", cron_expression: "* * * * *" };
          let res: LightMyRequestResponse;
          if (field === "q" || field === "cursor") res = await send("GET", `${API}/jobs?${field}=${enc(value)}`, "full", undefined, "");
          else if (field === "apiKeyName") res = await send("POST", `${API}/api-keys`, "full", JSON.stringify({ name: value, scopes: ["jobs:read"] }), "application/json");
          else {
            const body =
              field === "headers" ? { ...job, headers: { "X-A": value } } : field === "body" ? { ...job, body: { v: value } } : field === "bodyKey" ? { ...job, body: { [value]: 1 } } : { ...job, [field]: value };
            res = await send("POST", `${API}/jobs`, "full", JSON.stringify(body), "application/json");
          }
          checkResponse(res, `${field}=${JSON.stringify(value)}`);
          expect(res.statusCode).toBe(400);
        },
      ),
      { numRuns: 60, endOnFailure: true },
    );
  });
});

describe("tenant isolation as a property", () => {
  // For every id-taking endpoint and any request, using one of A's ids answers exactly like an id that does not
  // exist: same status, same body. So B can neither act on A's rows nor learn that they exist.
  for (const ep of ENDPOINTS.filter((e) => e.idKind)) {
    it(`${ep.method} ${ep.name}: A's id is indistinguishable from a missing one`, async () => {
      const before = await snapshotTenant(a.tenantId);
      await fc.assert(
        fc.asyncProperty(queryArb, bodyArb, contentType, fc.uuid({ version: 4 }), async (query, body, ct, missing) => {
          const q = query ? `?${query}` : "";
          const payload = ep.method === "GET" ? undefined : body;
          const foreign = await send(ep.method, `${API}${ep.path(idOf(ep.idKind as "job", "A"))}${q}`, "full", payload, ct);
          const absent = await send(ep.method, `${API}${ep.path(missing)}${q}`, "full", payload, ct);
          checkResponse(foreign, `${ep.name} with A's id`);
          expect({ status: foreign.statusCode, body: json(foreign) }).toEqual({ status: absent.statusCode, body: json(absent) });
          expect([400, 404, 413, 415]).toContain(foreign.statusCode);
        }),
        { numRuns: 40, endOnFailure: true },
      );
      expect(await snapshotTenant(a.tenantId)).toBe(before);
    });
  }
});
