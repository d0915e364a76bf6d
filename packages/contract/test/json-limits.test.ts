// Inputs too deep to validate safely, or holding strings PostgreSQL cannot store, are refused by every procedure
// with a validation error naming the field, whichever surface calls it (here: the server-side caller the UI uses).
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createTestDatabase, type TestDatabase } from "@btick/db/testing";

import { jsonDepthProblem, jsonValueProblem, jsonValueProblems } from "../src/schemas/json.ts";
import { createTenantWithKey } from "../src/testing.ts";
import { callerFor, rejection, validJob } from "./helpers.ts";

const nested = (depth: number): unknown => JSON.parse(`${"[".repeat(depth)}${"]".repeat(depth)}`);

describe("jsonValueProblem", () => {
  it("accepts ordinary values and nesting up to the limit", () => {
    expect(jsonValueProblem({ a: [1, "x", null, { b: true }] })).toBeNull();
    expect(jsonValueProblem(nested(64))).toBeNull();
  });

  it("reports nesting past the limit at any depth without overflowing", () => {
    expect(jsonValueProblem({ body: nested(65) })).toEqual({ path: "body", message: "must not be nested deeper than 64 levels" });
    expect(jsonValueProblem(nested(200_000))?.message).toMatch(/nested deeper/);
  });

  it("reports NUL characters and unpaired surrogates with their path", () => {
    expect(jsonValueProblem({ name: "a\u0000b" })).toEqual({ path: "name", message: "must not contain NUL (\\u0000) characters" });
    expect(jsonValueProblem({ body: { list: ["ok", "\ud800"] } })).toEqual({
      path: "body.list.1",
      message: "must not contain unpaired surrogates (invalid UTF-16)",
    });
    expect(jsonValueProblem({ headers: { "X-\u0000": "v" } })).toEqual({ path: "headers", message: "keys must not contain NUL (\\u0000) characters" });
  });

  it("lists every problem in document order", () => {
    expect(jsonValueProblems({ a: "\u0000", b: { c: ["ok", "\u0000"], "\u0000": "x", "\u0000y": "z" }, d: "ok", e: "\udc00" })).toEqual([
      { path: "a", message: "must not contain NUL (\\u0000) characters" },
      { path: "b", message: "keys must not contain NUL (\\u0000) characters" },
      { path: "b.c.1", message: "must not contain NUL (\\u0000) characters" },
      { path: "e", message: "must not contain unpaired surrogates (invalid UTF-16)" },
    ]);
    expect(jsonValueProblems({ x: nested(70), y: nested(70), z: "\u0000" }).map((p) => p.path)).toEqual(["x", "y", "z"]);
  });

  it("checks only the depth when asked to (the API's body parser)", () => {
    expect(jsonDepthProblem({ name: "\u0000", body: nested(64) })).toEqual({ path: "body", message: "must not be nested deeper than 64 levels" });
    expect(jsonDepthProblem({ name: "\u0000", body: nested(63) })).toBeNull();
    expect(jsonDepthProblem(nested(200_000))?.message).toMatch(/nested deeper/);
  });
});

describe("procedure inputs", () => {
  let db: TestDatabase;
  let key: string;
  beforeAll(async () => {
    db = await createTestDatabase();
    key = (await createTenantWithKey(db.prisma)).rawKey;
  }, 60_000);
  afterAll(() => db?.drop());

  it("refuses a deeply nested body with a validation error, and nothing is stored", async () => {
    const api = await callerFor(db.prisma, key);
    const { envelope } = await rejection(api.jobs.create({ ...validJob, body: nested(5000) as never }));
    expect(envelope).toMatchObject({ status: 400, validation: [{ field: "body", message: "must not be nested deeper than 64 levels" }] });
    expect(await db.prisma.job.count()).toBe(0);
  });

  it("refuses a NUL in a string field", async () => {
    const api = await callerFor(db.prisma, key);
    const { envelope } = await rejection(api.jobs.create({ ...validJob, name: "a\u0000b" }));
    expect(envelope.validation).toEqual([{ field: "name", message: "must not contain NUL (\\u0000) characters" }]);
  });
});
