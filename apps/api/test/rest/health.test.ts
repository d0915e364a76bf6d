/* eslint-disable @typescript-eslint/no-explicit-any -- black-box tests read untyped JSON bodies */
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { call, expectError, json, setup, setupDeadDb, type Harness } from "./harness.ts";

let h: Harness;
let key: string;

beforeAll(async () => {
  h = await setup();
  key = (await h.tenant()).rawKey;
}, 60_000);
afterAll(async () => {
  await h?.close();
});

describe("liveness and readiness", () => {
  it("GET /healthz answers 200 plain text ok", async () => {
    const res = await h.app.inject({ method: "GET", url: "/healthz" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/plain/);
    expect(res.body).toBe("ok");
  });

  it("GET /readyz answers 200 plain text ready when the database is up", async () => {
    const res = await h.app.inject({ method: "GET", url: "/readyz" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/plain/);
    expect(res.body).toBe("ready");
  });

  it("GET /api/v1/health answers {status:ok} without a key", async () => {
    const res = await call(h.app, "GET", "/health");
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/application\/json/);
    expect(json(res)).toEqual({ status: "ok" });
  });

  it("GET /api/v1/health also works with a key", async () => {
    const res = await call(h.app, "GET", "/health", { key });
    expect(res.statusCode).toBe(200);
    expect(json(res)).toEqual({ status: "ok" });
  });
});

describe("database unreachable", () => {
  let dead: Awaited<ReturnType<typeof setupDeadDb>>;
  beforeAll(async () => {
    dead = await setupDeadDb();
  }, 60_000);
  afterAll(async () => {
    await dead?.close();
  });

  it("GET /readyz answers 503 plain text not ready", async () => {
    const res = await dead.app.inject({ method: "GET", url: "/readyz" });
    expect(res.statusCode).toBe(503);
    expect(res.headers["content-type"]).toMatch(/^text\/plain/);
    expect(res.body).toBe("not ready");
  }, 30_000);

  it("GET /healthz still answers 200 ok (liveness does not check the database)", async () => {
    const res = await dead.app.inject({ method: "GET", url: "/healthz" });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe("ok");
  });

  it("GET /api/v1/health still answers 200 (the database is not checked)", async () => {
    const res = await call(dead.app, "GET", "/health");
    expect(res.statusCode).toBe(200);
    expect(json(res)).toEqual({ status: "ok" });
  });

  it("an authenticated request answers 503 SERVICE_UNAVAILABLE without leaking the database error", async () => {
    const res = await call(dead.app, "GET", "/jobs", { key: "skd_0123456789ab_abcdefghijklmnopqrstuvwxyzABCDEF" });
    expectError(res, 503, "service unavailable: the database cannot be reached; retry later");
    expect(res.body).not.toMatch(/ECONNREFUSED|prisma|127\.0\.0\.1|nowhere/i);
  }, 30_000);
});

describe("OpenAPI document", () => {
  it("GET /api/v1/openapi.json serves an OpenAPI 3 document covering every REST operation, without auth", async () => {
    const res = await h.app.inject({ method: "GET", url: "/api/v1/openapi.json" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/application\/json/);
    const doc = json(res);
    expect(doc.openapi).toMatch(/^3\./);
    expect(typeof doc.info?.title).toBe("string");
    const paths: Record<string, Record<string, unknown>> = {};
    for (const [p, ops] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
      paths[p.replace(/^\/api\/v1/, "")] = ops;
    }
    const expected: [string, string][] = [
      ["get", "/health"],
      ["post", "/jobs"],
      ["get", "/jobs"],
      ["get", "/jobs/{jobId}"],
      ["patch", "/jobs/{jobId}"],
      ["delete", "/jobs/{jobId}"],
      ["post", "/jobs/{jobId}/pause"],
      ["post", "/jobs/{jobId}/resume"],
      ["post", "/jobs/{jobId}/trigger"],
      ["get", "/jobs/{jobId}/runs"],
      ["get", "/runs/{runId}"],
      ["post", "/api-keys"],
      ["get", "/api-keys"],
      ["post", "/api-keys/{keyId}/revoke"],
    ];
    for (const [method, path] of expected) {
      expect(paths[path], `missing path ${path}`).toBeDefined();
      expect(paths[path]?.[method], `missing ${method.toUpperCase()} ${path}`).toBeDefined();
    }
    const schemes = Object.values((doc.components?.securitySchemes ?? {}) as Record<string, any>);
    expect(schemes.some((s) => s.type === "http" && String(s.scheme).toLowerCase() === "bearer")).toBe(true);
  });

  it("documents snake_case job fields", async () => {
    const res = await h.app.inject({ method: "GET", url: "/api/v1/openapi.json" });
    const text = res.body;
    for (const f of ["cron_expression", "timeout_seconds", "retry_max", "next_run_at", "next_runs", "next_cursor"]) {
      expect(text).toContain(`"${f}"`);
    }
    expect(text).not.toContain('"cronExpression"');
  });
});
