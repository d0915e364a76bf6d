// The OpenAPI document is valid (Redocly's standard ruleset), complete (summary, description, tags, security,
// envelope errors, examples) and its examples match its own schemas.
import { createConfig, lintFromString } from "@redocly/openapi-core";
import { describe, expect, it } from "vitest";

import { buildOpenApiDocument } from "@btick/contract";

import { operations, schemaValidator, type OpenApiDoc } from "./schema.ts";

const doc = JSON.parse(JSON.stringify(buildOpenApiDocument({ baseUrl: "/api/v1" }))) as OpenApiDoc;
const validate = schemaValidator(doc);
const ops = operations(doc);

describe("OpenAPI document", () => {
  it("passes Redocly's recommended ruleset with zero errors", async () => {
    const config = await createConfig({ extends: ["recommended"] });
    const problems = await lintFromString({ source: JSON.stringify(doc), absoluteRef: "/api/v1/openapi.json", config });
    const errors = problems.filter((p) => p.severity === "error").map((p) => `${p.ruleId}: ${p.message} at ${p.location[0]?.pointer ?? "?"}`);
    expect(errors).toEqual([]);
    // Accepted warnings: the project declares no license, and the public health probe has no 4xx response.
    const warnings = problems
      .filter((p) => p.severity === "warn")
      .map((p) => `${p.ruleId} ${p.location[0]?.pointer ?? "?"}`)
      .filter((w) => w !== "info-license #/info" && w !== "operation-4xx-response #/paths/~1health/get/responses");
    expect(warnings).toEqual([]);
  });

  it("is OpenAPI 3.1 with described tags", () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    for (const tag of doc.tags ?? []) expect(tag.description, tag.name).toBeTruthy();
  });

  it.each(ops.map(([m, p, op]) => [`${m.toUpperCase()} ${p}`, m, p, op] as const))("%s is fully documented", (_name, _m, path, op) => {
    expect(op.operationId).toBeTruthy();
    expect(op.summary).toBeTruthy();
    expect(op.description && op.description.length > 40).toBe(true);
    expect(op.tags?.length).toBe(1);
    const isHealth = path === "/health";
    expect(op.security).toEqual(isHealth ? [] : [{ bearerAuth: [] }]);

    const statuses = Object.keys(op.responses);
    const success = statuses.filter((s) => s.startsWith("2"));
    expect(success).toHaveLength(1);
    const hasBody = op.requestBody?.content["application/json"] !== undefined;
    const expectedErrors = isHealth
      ? []
      : ["400", "401", "403", ...(path.includes("{") ? ["404"] : []), ...(hasBody ? ["413", "415"] : []), "429", "500", "503"];
    expect(statuses.filter((s) => !s.startsWith("2"))).toEqual(expectedErrors);

    if (!isHealth) expect(Object.keys(op.responses["429"]?.headers ?? {})).toContain("Retry-After");
    for (const status of statuses) {
      const media = op.responses[status]?.content?.["application/json"];
      expect(media?.schema, `${status} schema`).toBeDefined();
      expect(media?.example, `${status} example`).toBeDefined();
      if (!status.startsWith("2")) {
        expect(media?.schema).toEqual({ $ref: "#/components/schemas/ErrorEnvelope" });
        expect((media?.example as { status: number }).status).toBe(Number(status));
      }
      expect(validate(media?.schema, media?.example), `${status} example matches its schema`).toBeNull();
    }

    const body = op.requestBody?.content["application/json"];
    if (body?.schema && (path === "/jobs" || path === "/api-keys" || path === "/jobs/{jobId}") && op.requestBody) {
      expect(body.example, "request example").toBeDefined();
      expect(validate(body.schema, body.example), "request example matches its schema").toBeNull();
    }
  });

  it("uses a validator that rejects what the schemas forbid", () => {
    const schema = doc.paths["/jobs/{jobId}"]?.["get"]?.responses["200"]?.content?.["application/json"]?.schema;
    expect(validate(schema, { job: {} })).toMatch(/required/);
    expect(validate({ $ref: "#/components/schemas/ErrorEnvelope" }, { status: 400, error: { error_code: "NOPE", error_message: "x" } })).toMatch(/allowed values/);
  });

  it("has request body examples for every create and update", () => {
    expect(doc.paths["/jobs"]?.["post"]?.requestBody?.content["application/json"]?.example).toBeDefined();
    expect(doc.paths["/jobs/{jobId}"]?.["patch"]?.requestBody?.content["application/json"]?.example).toBeDefined();
    expect(doc.paths["/api-keys"]?.["post"]?.requestBody?.content["application/json"]?.example).toBeDefined();
  });
});
