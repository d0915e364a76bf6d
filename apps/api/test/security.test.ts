// Security headers, rate limits, failed-authentication throttling, tenant quotas over REST, the job URL policy's
// default, and the Prometheus /metrics endpoint (scraped and parsed).
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { DEFAULT_JOB_LIMITS } from "@btick/contract";
import { createTenantWithKey } from "@btick/contract/testing";
import { createTestDatabase, type TestDatabase } from "@btick/db/testing";

import { buildServer, type ServerDeps } from "../src/server.ts";
import { UiClient, uniqueEmail } from "./ui/client.ts";

let db: TestDatabase;
const apps: FastifyInstance[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()));
  await db.drop();
});

async function server(deps: Omit<ServerDeps, "db"> = {}) {
  const app = await buildServer({ db: db.prisma, ...deps });
  await app.ready();
  apps.push(app);
  return app;
}

const job = { name: "n", method: "POST", url: "https://example.com/hook", cron_expression: "*/5 * * * *" };
const bearer = (raw: string) => ({ authorization: `Bearer ${raw}` });

describe("security headers", () => {
  it("sends a CSP allowing only the server's own scripts and styles, and the usual hardening headers", async () => {
    const app = await server();
    const res = await app.inject({ url: "/healthz" });
    const csp = String(res.headers["content-security-policy"]);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("unsafe-inline");
    expect(res.headers["x-content-type-options"]).toBe("nosniff");
    expect(res.headers["x-frame-options"]).toBe("DENY");
    expect(res.headers["referrer-policy"]).toBe("same-origin");
    expect(res.headers["strict-transport-security"]).toBeUndefined();
  });

  it("sends HSTS only for https requests (X-Forwarded-Proto counts only behind a trusted proxy)", async () => {
    const trusted = await server({ trustProxy: true });
    const https = await trusted.inject({ url: "/healthz", headers: { "x-forwarded-proto": "https" } });
    expect(https.headers["strict-transport-security"]).toBe("max-age=31536000; includeSubDomains");
    const untrusted = await server();
    const spoofed = await untrusted.inject({ url: "/healthz", headers: { "x-forwarded-proto": "https" } });
    expect(spoofed.headers["strict-transport-security"]).toBeUndefined();
  });
});

describe("rate limits", () => {
  it("answers 429 with the envelope and Retry-After once a key has used its requests for the minute", async () => {
    const app = await server({ security: { rateLimitPerMinute: 3, authFailuresPerMinute: 0 } });
    const a = await createTenantWithKey(db.prisma);
    const b = await createTenantWithKey(db.prisma);
    for (let i = 0; i < 3; i++) expect((await app.inject({ url: "/api/v1/jobs", headers: bearer(a.rawKey) })).statusCode).toBe(200);
    const limited = await app.inject({ url: "/api/v1/jobs", headers: bearer(a.rawKey) });
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers["retry-after"])).toBeGreaterThan(0);
    expect(limited.json()).toEqual({
      status: 429,
      error: { error_code: "TOO_MANY_REQUESTS", error_message: expect.stringMatching(/^rate limit exceeded: at most 3 requests per minute; retry in \d+ seconds$/) },
    });
    // tRPC shares the key's budget; other keys and the probes are not affected.
    expect((await app.inject({ url: "/trpc/jobs.list", headers: bearer(a.rawKey) })).statusCode).toBe(429);
    expect((await app.inject({ url: "/api/v1/jobs", headers: bearer(b.rawKey) })).statusCode).toBe(200);
    expect((await app.inject({ url: "/healthz" })).statusCode).toBe(200);
  });

  it("counts every call of a tRPC batch toward the key's limit", async () => {
    const app = await server({ security: { rateLimitPerMinute: 10, authFailuresPerMinute: 0 } });
    const a = await createTenantWithKey(db.prisma);
    const batch = (calls: number) =>
      app.inject({ url: `/trpc/${Array(calls).fill("jobs.list").join(",")}?batch=1&input=${encodeURIComponent("{}")}`, headers: bearer(a.rawKey) });
    const first = await batch(8);
    expect(first.statusCode).toBe(200);
    expect(first.headers["x-ratelimit-remaining"]).toBe("2");
    const over = await batch(3);
    expect(over.statusCode).toBe(429);
    expect(Number(over.headers["retry-after"])).toBeGreaterThan(0);
    expect(over.json()).toEqual({
      status: 429,
      error: { error_code: "TOO_MANY_REQUESTS", error_message: expect.stringMatching(/^rate limit exceeded: at most 10 requests per minute; retry in \d+ seconds$/) },
    });
    expect((await app.inject({ url: "/api/v1/jobs", headers: bearer(a.rawKey) })).statusCode).toBe(429);
  });

  it("refuses a tRPC batch of more than 50 calls before running any of them", async () => {
    const app = await server();
    const a = await createTenantWithKey(db.prisma);
    const job = { name: "b", method: "POST", url: "https://example.com/hook", cron_expression: "0 0 * * *" };
    const calls = 51;
    const res = await app.inject({
      method: "POST",
      url: `/trpc/${Array(calls).fill("jobs.create").join(",")}?batch=1`,
      headers: { ...bearer(a.rawKey), "content-type": "application/json" },
      payload: JSON.stringify(Object.fromEntries(Array.from({ length: calls }, (_, i) => [String(i), job]))),
    });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain("a tRPC batch may hold at most 50 calls");
    expect(res.body).not.toContain("Batch call exceeds");
    expect(await db.prisma.job.count({ where: { tenantId: a.tenantId } })).toBe(0);
    const fifty = await app.inject({
      method: "POST",
      url: `/trpc/${Array(50).fill("jobs.create").join(",")}?batch=1`,
      headers: { ...bearer(a.rawKey), "content-type": "application/json" },
      payload: JSON.stringify(Object.fromEntries(Array.from({ length: 50 }, (_, i) => [String(i), job]))),
    });
    expect(fifty.statusCode).toBe(200);
    expect(await db.prisma.job.count({ where: { tenantId: a.tenantId } })).toBe(50);
  });

  it("counts requests without a key per client IP", async () => {
    const app = await server({ security: { rateLimitPerMinute: 2, authFailuresPerMinute: 0 } });
    const from = (ip: string) => app.inject({ url: "/api/v1/openapi.json", remoteAddress: ip });
    expect((await from("203.0.113.1")).statusCode).toBe(200);
    expect((await from("203.0.113.1")).statusCode).toBe(200);
    expect((await from("203.0.113.1")).statusCode).toBe(429);
    expect((await from("203.0.113.2")).statusCode).toBe(200);
  });

  it("refuses a client IP for the rest of the minute after too many failed authentications", async () => {
    const app = await server({ security: { rateLimitPerMinute: 0, authFailuresPerMinute: 2 } });
    const good = await createTenantWithKey(db.prisma);
    const ip = "198.51.100.7";
    for (let i = 0; i < 2; i++) {
      const r = await app.inject({ url: "/api/v1/jobs", headers: bearer(`skd_${"0".repeat(12)}_${"x".repeat(32)}`), remoteAddress: ip });
      expect(r.statusCode).toBe(401);
    }
    const blocked = await app.inject({ url: "/api/v1/jobs", headers: bearer(good.rawKey), remoteAddress: ip });
    expect(blocked.statusCode).toBe(429);
    expect(Number(blocked.headers["retry-after"])).toBeGreaterThan(0);
    expect(blocked.json().error).toEqual({
      error_code: "TOO_MANY_REQUESTS",
      error_message: expect.stringMatching(/^too many failed authentication attempts; retry in \d+ seconds$/),
    });
    expect((await app.inject({ url: "/api/v1/jobs", headers: bearer(good.rawKey), remoteAddress: "198.51.100.8" })).statusCode).toBe(200);
  });

  it("does not let forged tokens with a real key's prefix use up that key's requests (32 addresses × 20 requests)", async () => {
    // The defaults: 600 requests per minute, lockout after 20 failed authentications per address.
    const app = await server({ security: { rateLimitPerMinute: 600, authFailuresPerMinute: 20 }, trustProxy: true });
    const victim = await createTenantWithKey(db.prisma);
    const from = (ip: string, raw: string) => app.inject({ url: "/api/v1/jobs", headers: { ...bearer(raw), "x-forwarded-for": ip } });
    expect((await from("192.0.2.10", victim.rawKey)).statusCode).toBe(200);

    const forged = `${victim.keyPrefix}_${"garbage".padEnd(32, "x")}`;
    for (let n = 0; n < 32; n++) {
      const statuses = [];
      for (let i = 0; i < 20; i++) statuses.push((await from(`198.18.0.${n + 1}`, forged)).statusCode);
      // Each forged request fails authentication; none is counted against the victim's key.
      expect(statuses).toEqual(Array(20).fill(401));
    }

    const real = await from("192.0.2.10", victim.rawKey);
    expect(real.statusCode).toBe(200);
    expect(real.headers["x-ratelimit-remaining"]).toBe("598");
    // The same holds from an address the victim never used, and over tRPC.
    expect((await from("192.0.2.11", victim.rawKey)).statusCode).toBe(200);
    expect((await app.inject({ url: "/trpc/jobs.list", headers: bearer(victim.rawKey) })).statusCode).toBe(200);
  });

  it("counts requests with an unknown or forged key against the client IP", async () => {
    const app = await server({ security: { rateLimitPerMinute: 3, authFailuresPerMinute: 0 }, trustProxy: true });
    const victim = await createTenantWithKey(db.prisma);
    const forged = `${victim.keyPrefix}_${"x".repeat(32)}`;
    const from = (ip: string, raw: string) => app.inject({ url: "/api/v1/jobs", headers: { ...bearer(raw), "x-forwarded-for": ip } });
    for (let i = 0; i < 3; i++) expect((await from("198.18.1.1", forged)).statusCode).toBe(401);
    const limited = await from("198.18.1.1", forged);
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error.error_message).toMatch(/^rate limit exceeded: at most 3 requests per minute/);
    // The key's own budget is untouched.
    for (let i = 0; i < 3; i++) expect((await from("198.18.1.2", victim.rawKey)).statusCode).toBe(200);
  });

  it("counts a key's requests in one bucket whatever address they come from, its first request included", async () => {
    const app = await server({ security: { rateLimitPerMinute: 3, authFailuresPerMinute: 0 }, trustProxy: true });
    const a = await createTenantWithKey(db.prisma);
    const from = (ip: string) => app.inject({ url: "/api/v1/jobs", headers: { ...bearer(a.rawKey), "x-forwarded-for": ip } });
    expect((await from("198.18.2.1")).statusCode).toBe(200);
    expect((await from("198.18.2.2")).statusCode).toBe(200);
    expect((await from("198.18.2.3")).statusCode).toBe(200);
    expect((await from("198.18.2.4")).statusCode).toBe(429);
  });

  it("stops giving a key its own bucket once it is revoked", async () => {
    const app = await server({ security: { rateLimitPerMinute: 2, authFailuresPerMinute: 0 }, trustProxy: true });
    const a = await createTenantWithKey(db.prisma);
    const from = (ip: string) => app.inject({ url: "/api/v1/jobs", headers: { ...bearer(a.rawKey), "x-forwarded-for": ip } });
    expect((await from("198.18.3.1")).statusCode).toBe(200);
    await db.prisma.apiKey.update({ where: { id: a.keyId }, data: { revokedAt: new Date() } });
    // Still counted in the key's bucket (it verified before): the second request of the minute, answered 401.
    expect((await from("198.18.3.2")).statusCode).toBe(401);
    // From then on per address: each new address has its own budget, so the key's exhausted bucket is not hit.
    expect((await from("198.18.3.3")).statusCode).toBe(401);
    expect((await from("198.18.3.4")).statusCode).toBe(401);
  });
});

describe("health endpoints", () => {
  it("stay reachable from a client IP locked out after failed authentications, or over its rate limit", async () => {
    const app = await server({ security: { rateLimitPerMinute: 2, authFailuresPerMinute: 2 } });
    const ip = "198.51.100.9";
    for (let i = 0; i < 2; i++) {
      const r = await app.inject({ url: "/api/v1/jobs", headers: bearer(`skd_${"0".repeat(12)}_${"x".repeat(32)}`), remoteAddress: ip });
      expect(r.statusCode).toBe(401);
    }
    expect((await app.inject({ url: "/api/v1/jobs", remoteAddress: ip })).statusCode).toBe(429);
    for (let i = 0; i < 5; i++) {
      const health = await app.inject({ url: "/api/v1/health", remoteAddress: ip });
      expect([health.statusCode, health.json()]).toEqual([200, { status: "ok" }]);
      expect((await app.inject({ url: "/healthz", remoteAddress: ip })).statusCode).toBe(200);
      expect((await app.inject({ url: "/readyz", remoteAddress: ip })).statusCode).toBe(200);
    }
  });
});

describe("tenant quotas and the URL policy over REST", () => {
  it("refuses private targets by default with a validation error on url", async () => {
    const app = await server();
    const t = await createTenantWithKey(db.prisma);
    const res = await app.inject({ method: "POST", url: "/api/v1/jobs", headers: bearer(t.rawKey), payload: { ...job, url: "http://169.254.169.254/latest" } });
    expect(res.statusCode).toBe(400);
    expect(res.json().validation).toEqual([
      { field: "url", message: "must not target a link-local address; calls to private networks are disabled on this server" },
    ]);
  });

  it("answers 429 once the tenant has TENANT_MAX_JOBS jobs, and a validation error below the minimum interval", async () => {
    const app = await server({ limits: { ...DEFAULT_JOB_LIMITS, maxJobsPerTenant: 1, minIntervalSeconds: 300 } });
    const t = await createTenantWithKey(db.prisma);
    const tooOften = await app.inject({ method: "POST", url: "/api/v1/jobs", headers: bearer(t.rawKey), payload: { ...job, cron_expression: "* * * * *" } });
    expect(tooOften.statusCode).toBe(400);
    expect(tooOften.json().validation).toEqual([
      { field: "cron_expression", message: "fires every 60 seconds; the minimum interval between fires is 300 seconds" },
    ]);
    expect((await app.inject({ method: "POST", url: "/api/v1/jobs", headers: bearer(t.rawKey), payload: job })).statusCode).toBe(201);
    const over = await app.inject({ method: "POST", url: "/api/v1/jobs", headers: bearer(t.rawKey), payload: job });
    expect(over.statusCode).toBe(429);
    expect(over.json().error.error_code).toBe("TOO_MANY_REQUESTS");
    expect(over.json().error.error_message).toMatch(/^job quota reached: a tenant can have at most 1 jobs/);
  });
});

describe("schedule preview and the minimum interval", () => {
  it("reports a schedule below TENANT_MIN_INTERVAL_SECONDS exactly as creating the job would", async () => {
    const app = await server({ limits: { ...DEFAULT_JOB_LIMITS, minIntervalSeconds: 300 } });
    const t = await createTenantWithKey(db.prisma);
    const created = await app.inject({ method: "POST", url: "/api/v1/jobs", headers: bearer(t.rawKey), payload: { ...job, cron_expression: "* * * * *" } });
    const rule = created.json().validation[0];
    expect(rule.field).toBe("cron_expression");
    const preview = await app.inject({
      method: "POST",
      url: "/api/v1/schedule/preview",
      headers: bearer(t.rawKey),
      payload: { cron_expression: "* * * * *", timezone: "UTC" },
    });
    expect(preview.statusCode).toBe(200);
    expect(preview.json()).toMatchObject({ valid: false, field: "cron_expression", message: rule.message, next_runs: [] });
    // The web UI's live preview says the same.
    const user = new UiClient(app);
    await user.register(uniqueEmail("preview"), "right password");
    const partial = await user.get("/ui/jobs/schedule-preview?cron_expression=*+*+*+*+*&timezone=UTC", { "hx-request": "true" });
    expect(partial.body).toContain(rule.message);
    // Slower schedules are previewed as before.
    const ok = await app.inject({ method: "POST", url: "/api/v1/schedule/preview", headers: bearer(t.rawKey), payload: { cron_expression: "*/5 * * * *" } });
    expect(ok.json()).toMatchObject({ valid: true, field: null, message: null });
  });
});

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text exposition format (the subset prom-client writes). */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/.exec(line);
    if (!m) throw new Error(`unparseable exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1] as string] = l[2] as string;
    samples.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  return samples;
}

const sum = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((a, s) => a + s.value, 0);

describe("GET /metrics", () => {
  it("counts requests and latency by route pattern and status, with process metrics", async () => {
    const app = await server();
    const t = await createTenantWithKey(db.prisma);
    const scrape = async () => {
      const res = await app.inject({ url: "/metrics" });
      expect(res.statusCode).toBe(200);
      expect(res.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
      return parseExposition(res.body);
    };
    const before = await scrape();
    expect(sum(before, "process_resident_memory_bytes")).toBeGreaterThan(0);
    const created = await app.inject({ method: "POST", url: "/api/v1/jobs", headers: bearer(t.rawKey), payload: job });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().job.id as string;
    await app.inject({ url: `/api/v1/jobs/${id}`, headers: bearer(t.rawKey) });
    await app.inject({ url: "/api/v1/jobs/00000000-0000-4000-8000-000000000000", headers: bearer(t.rawKey) });
    await app.inject({ url: "/api/v1/jobs" });
    await app.inject({ url: "/nowhere/at/all" });

    const after = await scrape();
    const route = "/api/v1/jobs/{jobId}";
    expect(sum(after, "btick_api_http_requests_total", { method: "POST", route: "/api/v1/jobs", status_code: "201" })).toBe(1);
    expect(sum(after, "btick_api_http_requests_total", { method: "GET", route, status_code: "200" })).toBe(1);
    expect(sum(after, "btick_api_http_requests_total", { method: "GET", route, status_code: "404" })).toBe(1);
    expect(sum(after, "btick_api_http_requests_total", { method: "GET", route: "/api/v1/jobs", status_code: "401" })).toBe(1);
    expect(sum(after, "btick_api_http_requests_total", { route: "unmatched", status_code: "404" })).toBe(1);
    expect(sum(after, "btick_api_http_request_duration_seconds_count", { method: "GET", route })).toBe(2);
    expect(sum(after, "btick_api_http_request_duration_seconds_sum", { method: "POST", route: "/api/v1/jobs" })).toBeGreaterThan(0);
    // No raw ids in labels.
    expect(after.some((s) => Object.values(s.labels).some((v) => v.includes(id)))).toBe(false);
  });
});
