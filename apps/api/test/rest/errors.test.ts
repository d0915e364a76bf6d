import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { call, codeFor, createJob, expectError, json, setup, validJob, type Harness, type Principal } from "./harness.ts";

let h: Harness;
let p: Principal;

beforeAll(async () => {
  h = await setup();
  p = await h.tenant();
}, 60_000);
afterAll(async () => {
  await h?.close();
});

describe("unmatched routes", () => {
  it("an unknown path outside /api/v1 answers the 404 envelope", async () => {
    const res = await h.app.inject({ method: "GET", url: "/no/such/page" });
    expect(res.statusCode).toBe(404);
    expect(json(res)).toEqual({ status: 404, error: { error_code: "NOT_FOUND", error_message: expect.any(String) } });
  });

  it("an unknown path under /api/v1 answers the 404 envelope (with a valid key)", async () => {
    const res = await call(h.app, "GET", "/no-such-resource", { key: p.rawKey });
    expectError(res, 404);
    const res2 = await call(h.app, "POST", "/jobs/00000000-0000-4000-8000-000000000000/explode", { key: p.rawKey });
    expectError(res2, 404);
  });

  it("an unknown path under /api/v1 without a key answers a 401 or 404 envelope", async () => {
    const res = await call(h.app, "GET", "/no-such-resource");
    expect([401, 404]).toContain(res.statusCode);
    expectError(res, res.statusCode);
  });

  it("a known path with the wrong method answers a 404 or 405 envelope", async () => {
    const res = await call(h.app, "PUT", "/jobs", { key: p.rawKey, body: validJob() });
    expect([404, 405]).toContain(res.statusCode);
    expectError(res, res.statusCode);
    const res2 = await call(h.app, "DELETE", "/health", { key: p.rawKey });
    expect([404, 405]).toContain(res2.statusCode);
    expectError(res2, res2.statusCode);
  });
});

describe("request body errors", () => {
  it("malformed JSON: exact envelope", async () => {
    const res = await call(h.app, "POST", "/jobs", { key: p.rawKey, raw: "{oops" });
    expect(res.statusCode).toBe(400);
    expect(json(res)).toEqual({ status: 400, error: { error_code: "INVALID_REQUEST", error_message: "invalid JSON body" } });
  });

  it("malformed JSON on every body-taking operation", async () => {
    const job = await createJob(h.app, p.rawKey);
    for (const [method, path] of [
      ["POST", "/jobs"],
      ["PATCH", `/jobs/${job.id}`],
      ["POST", "/api-keys"],
    ] as const) {
      expectError(await call(h.app, method, path, { key: p.rawKey, raw: '{"a":' }), 400, "invalid JSON body");
    }
  });

  it("the validation envelope has status, error and validation", async () => {
    const res = await call(h.app, "POST", "/jobs", { key: p.rawKey, body: validJob({ retry_max: 99 }) });
    expect(res.statusCode).toBe(400);
    const body = json(res);
    expect(Object.keys(body).sort()).toEqual(["error", "status", "validation"]);
    expect(body.status).toBe(400);
    expect(body.error).toEqual({ error_code: "INVALID_REQUEST", error_message: "Validation failed" });
    expect(body.validation).toEqual([{ field: "retry_max", message: expect.any(String) }]);
  });

  it("a body over the size limit answers 413 PAYLOAD_TOO_LARGE", async () => {
    const big = JSON.stringify(validJob({ body: "x".repeat(3 * 1024 * 1024) }));
    const res = await call(h.app, "POST", "/jobs", { key: p.rawKey, raw: big });
    expectError(res, 413);
  });

  it("application/json with a charset parameter is accepted", async () => {
    const res = await call(h.app, "POST", "/jobs", {
      key: p.rawKey,
      raw: JSON.stringify(validJob({ name: "charset" })),
      headers: { "content-type": "application/json; charset=utf-8" },
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(json(res).job.name).toBe("charset");
  });

  it("a non-JSON content type answers 400 or 415 with the envelope", async () => {
    const res = await call(h.app, "POST", "/jobs", {
      key: p.rawKey,
      raw: "name=x",
      headers: { "content-type": "text/csv" },
    });
    expect([400, 415]).toContain(res.statusCode);
    const body = expectError(res, res.statusCode, undefined, { validation: json(res).validation !== undefined });
    expect(body.error.error_code).toBe(codeFor(res.statusCode));
  });
});

describe("path ids", () => {
  it("non-UUID ids answer 400 with the parameter name", async () => {
    const cases: [string, string, string][] = [
      ["GET", "/jobs/zzz", "invalid jobId"],
      ["PATCH", "/jobs/zzz", "invalid jobId"],
      ["DELETE", "/jobs/zzz", "invalid jobId"],
      ["POST", "/jobs/zzz/pause", "invalid jobId"],
      ["POST", "/jobs/zzz/resume", "invalid jobId"],
      ["POST", "/jobs/zzz/trigger", "invalid jobId"],
      ["GET", "/jobs/zzz/runs", "invalid jobId"],
      ["GET", "/runs/zzz", "invalid runId"],
      ["POST", "/api-keys/zzz/revoke", "invalid keyId"],
    ];
    for (const [method, path, message] of cases) {
      const res = await call(h.app, method as "GET", path, { key: p.rawKey, body: method === "PATCH" ? { name: "x" } : undefined });
      expectError(res, 400, message);
    }
  });

  it("an upper-case UUID is accepted as the same id", async () => {
    const job = await createJob(h.app, p.rawKey);
    const res = await call(h.app, "GET", `/jobs/${job.id.toUpperCase()}`, { key: p.rawKey });
    // Either treated as the same UUID or rejected as malformed; never a 500.
    if (res.statusCode === 200) expect(json(res).job.id).toBe(job.id);
    else expectError(res, 400, "invalid jobId");
  });

  it("an almost-UUID (wrong length) is rejected, not a 500", async () => {
    const res = await call(h.app, "GET", "/jobs/00000000-0000-4000-8000-0000000000000", { key: p.rawKey });
    expectError(res, 400, "invalid jobId");
  });
});

describe("no stack traces or internals", () => {
  it("errors never include stack traces or SQL", async () => {
    const responses = [
      await call(h.app, "POST", "/jobs", { key: p.rawKey, raw: "{" }),
      await call(h.app, "POST", "/jobs", { key: p.rawKey, body: { bogus: true } }),
      await call(h.app, "GET", "/jobs/nope", { key: p.rawKey }),
      await call(h.app, "GET", "/jobs", { key: p.rawKey, query: { limit: "x" } }),
      await call(h.app, "GET", "/jobs", { key: p.rawKey, query: { cursor: "%%%" } }),
    ];
    for (const res of responses) {
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
      expect(res.body).not.toMatch(/stack|\.ts:\d+|node_modules|prisma|SELECT |TRPCError|ZodError/i);
    }
  });
});
