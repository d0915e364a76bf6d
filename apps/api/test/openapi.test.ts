// The served OpenAPI document: OpenAPI 3.x, every REST path of the contract, real status codes, envelope errors.
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createTestDatabase, type TestDatabase } from "@btick/db/testing";

import { buildServer } from "../src/server.ts";

const EXPECTED: [string, string, string][] = [
  ["get", "/health", "200"],
  ["post", "/jobs", "201"],
  ["get", "/jobs", "200"],
  ["get", "/jobs/{jobId}", "200"],
  ["patch", "/jobs/{jobId}", "200"],
  ["delete", "/jobs/{jobId}", "200"],
  ["post", "/jobs/{jobId}/pause", "200"],
  ["post", "/jobs/{jobId}/resume", "200"],
  ["post", "/jobs/{jobId}/trigger", "202"],
  ["post", "/schedule/preview", "200"],
  ["post", "/jobs/{jobId}/rotate-signing-secret", "200"],
  ["get", "/jobs/{jobId}/runs", "200"],
  ["get", "/runs/{runId}", "200"],
  ["post", "/api-keys", "201"],
  ["get", "/api-keys", "200"],
  ["post", "/api-keys/{keyId}/revoke", "200"],
];

interface Doc {
  openapi: string;
  info: { title: string; version: string };
  servers: { url: string }[];
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }>; security?: unknown[] }>>;
  components: { securitySchemes: Record<string, { type: string; scheme: string }>; schemas: Record<string, unknown> };
}

let db: TestDatabase;
let app: FastifyInstance;
let doc: Doc;

beforeAll(async () => {
  db = await createTestDatabase();
  app = await buildServer({ db: db.prisma });
  const res = await app.inject({ url: "/api/v1/openapi.json" });
  expect(res.statusCode).toBe(200);
  expect(res.headers["content-type"]).toMatch(/^application\/json/);
  doc = res.json();
});
afterAll(async () => {
  await app.close();
  await db.drop();
});

describe("GET /api/v1/openapi.json", () => {
  it("is an OpenAPI 3.x document for the BTick API with a bearer scheme", () => {
    expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/);
    expect(doc.info.title).toBe("BTick API");
    expect(doc.info.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(doc.servers[0]?.url).toBe("/api/v1");
    expect(Object.values(doc.components.securitySchemes)).toContainEqual(expect.objectContaining({ type: "http", scheme: "bearer" }));
  });

  it.each(EXPECTED)("documents %s %s with success status %s", (method, path, status) => {
    const op = doc.paths[path]?.[method];
    expect(op, `${method} ${path}`).toBeDefined();
    expect(Object.keys(op?.responses ?? {}).filter((s) => s.startsWith("2"))).toEqual([status]);
    expect(op?.security ?? []).toHaveLength(path === "/health" ? 0 : 1);
  });

  it("documents no other operations", () => {
    const ops = Object.entries(doc.paths).flatMap(([p, item]) => Object.keys(item).map((m) => `${m} ${p}`));
    expect(ops.sort()).toEqual(EXPECTED.map(([m, p]) => `${m} ${p}`).sort());
  });

  it("describes errors with the envelope schema", () => {
    const bad = doc.paths["/jobs"]?.post?.responses["400"];
    expect(bad?.content?.["application/json"]?.schema).toEqual({ $ref: "#/components/schemas/ErrorEnvelope" });
    expect(doc.components.schemas.ErrorEnvelope).toMatchObject({ required: ["status", "error"] });
    expect(Object.keys(doc.components.schemas).filter((k) => k.startsWith("error."))).toEqual([]);
  });
});
