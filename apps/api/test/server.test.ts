// Server-level behaviour outside the REST procedures: request ids, probes, unmatched routes, internal errors.
import { Writable } from "node:stream";

import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createPrismaClient } from "@btick/db";
import { createEmptyDatabase, createTestDatabase, type TestDatabase } from "@btick/db/testing";

import { buildServer } from "../src/server.ts";

let db: TestDatabase;
let app: FastifyInstance;

beforeAll(async () => {
  db = await createTestDatabase();
  app = await buildServer({ db: db.prisma });
});
afterAll(async () => {
  await app.close();
  await db.drop();
});

describe("request ids", () => {
  it("sets X-Request-Id, keeping a sane incoming one and replacing an unsafe one", async () => {
    const generated = await app.inject({ url: "/healthz" });
    expect(generated.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    const kept = await app.inject({ url: "/api/v1/health", headers: { "x-request-id": "abc-123" } });
    expect(kept.headers["x-request-id"]).toBe("abc-123");
    const replaced = await app.inject({ url: "/api/v1/nope", headers: { "x-request-id": "bad id\twith spaces" } });
    expect(replaced.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("probes", () => {
  it("answers /healthz and /readyz in plain text", async () => {
    const live = await app.inject({ url: "/healthz" });
    expect([live.statusCode, live.body, live.headers["content-type"]]).toEqual([200, "ok", "text/plain; charset=utf-8"]);
    const ready = await app.inject({ url: "/readyz" });
    expect([ready.statusCode, ready.body]).toEqual([200, "ready"]);
  });

  it("answers 503 'not ready' when the database is unreachable", async () => {
    const dead = createPrismaClient({ connectionString: "postgresql://postgres@127.0.0.1:1/none", max: 1 });
    const down = await buildServer({ db: dead });
    try {
      const res = await down.inject({ url: "/readyz" });
      expect([res.statusCode, res.body]).toEqual([503, "not ready"]);
    } finally {
      await down.close();
      await dead.$disconnect();
    }
  });
});

describe("unmatched routes and fastify-level errors", () => {
  it("answers the 404 envelope outside /api/v1 and 405 for a known path with another method", async () => {
    const res = await app.inject({ url: "/no/such/page" });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ status: 404, error: { error_code: "NOT_FOUND", error_message: "not found" } });
    const post = await app.inject({ method: "POST", url: "/healthz" });
    expect(post.statusCode).toBe(405);
    expect(post.headers.allow).toContain("GET");
    expect(post.json().error.error_code).toBe("NOT_ALLOWED");
    const options = await app.inject({ method: "OPTIONS", url: "/api/v1/jobs" });
    expect(options.statusCode).toBe(405);
    expect(options.headers.allow).toBe("POST, GET");
  });

  it("answers malformed JSON on /trpc in tRPC's own format, with the envelope in data and no stack", async () => {
    const { createTenantWithKey } = await import("@btick/contract/testing");
    const p = await createTenantWithKey(db.prisma);
    const res = await app.inject({
      method: "POST",
      url: "/trpc/jobs.create",
      headers: { "content-type": "application/json", authorization: `Bearer ${p.rawKey}` },
      payload: "{",
    });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.error.message).toBe("invalid JSON body");
    expect(body.error.data.envelope).toEqual({ status: 400, error: { error_code: "INVALID_REQUEST", error_message: "invalid JSON body" } });
    expect(res.body).not.toContain("stack");
  });

  it("hides internal errors behind a generic message and logs the real one", async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString());
        cb();
      },
    });
    // A database without BTick's tables: every query fails with an error that is a bug, not an outage
    // (an unreachable database answers 503 instead; see test/rest/health.test.ts).
    const empty = await createEmptyDatabase();
    const dead = createPrismaClient({ connectionString: empty.url, max: 1 });
    const broken = await buildServer({ db: dead, logger: { level: "error", stream } });
    try {
      for (const url of ["/api/v1/jobs", "/trpc/jobs.list"]) {
        const res = await broken.inject({ url, headers: { authorization: "Bearer skd_0123456789ab_secretsecretsecretsecretsecret12" } });
        expect(res.statusCode).toBe(500);
        expect(res.body).toContain("internal server error");
        expect(res.body).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|stack|prisma|api_keys|relation/i);
      }
      expect(await broken.inject({ url: "/api/v1/jobs", headers: { authorization: "Bearer skd_0123456789ab_x" } }).then((r) => r.json())).toEqual({
        status: 500,
        error: { error_code: "INTERNAL_SERVER_ERROR", error_message: "internal server error" },
      });
      expect(lines.join("")).toMatch(/procedure failed|request failed/);
    } finally {
      await broken.close();
      await dead.$disconnect();
      await empty.drop();
    }
  });
});
