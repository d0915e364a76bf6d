import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { call, createJob, expectError, json, setup, validJob, type Harness, type Principal } from "./harness.ts";

let h: Harness;
let p: Principal;

beforeAll(async () => {
  h = await setup();
  p = await h.tenant();
}, 60_000);
afterAll(async () => {
  await h?.close();
});

const nested = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;

describe("JSON request bodies", () => {
  it("rejects bodies nested deeper than 64 levels before anything recursive sees them", async () => {
    for (const depth of [65, 2000, 50_000]) {
      const raw = `{"name":"deep","method":"POST","url":"http://example.com/","cron_expression":"0 0 1 1 *","body":${nested(depth)}}`;
      const res = await call(h.app, "POST", "/jobs", { key: p.rawKey, raw });
      const body = expectError(res, 400);
      expect(body.error.error_message).toBe("invalid JSON body: body must not be nested deeper than 64 levels");
    }
    // The same guard covers the tRPC endpoint.
    const trpc = await h.app.inject({
      method: "POST",
      url: "/trpc/jobs.create",
      headers: { authorization: `Bearer ${p.rawKey}`, "content-type": "application/json" },
      payload: `{"name":"deep","body":${nested(5000)}}`,
    });
    expect(trpc.statusCode).toBe(400);
    const list = await call(h.app, "GET", "/jobs", { key: p.rawKey });
    expect(list.statusCode).toBe(200);
  });

  it("accepts a body nested within the limit and reads it back", async () => {
    const job = await createJob(h.app, p.rawKey, { body: JSON.parse(`{"a":${nested(40)}}`) });
    const res = await call(h.app, "GET", `/jobs/${job.id}`, { key: p.rawKey });
    expect(res.statusCode).toBe(200);
    expect(JSON.stringify(json(res).job.body)).toBe(`{"a":${nested(40)}}`);
  });

  it.each([
    ["a NUL in the name", { name: "a\u0000b" }],
    ["a NUL in the URL", { url: "http://example.com/\u0000" }],
    ["a NUL in a header value", { headers: { "X-A": "1\u00002" } }],
    ["a NUL inside the body", { body: { text: "x\u0000y" } }],
    ["a NUL in a body key", { body: { "k\u0000": 1 } }],
    ["an unpaired surrogate", { name: "\ud800" }],
  ])("rejects %s with a 400, not a database error", async (_label, overrides) => {
    const res = await call(h.app, "POST", "/jobs", { key: p.rawKey, body: validJob(overrides) });
    const body = expectError(res, 400);
    expect(body.error.error_message).toMatch(/NUL characters or unpaired surrogates/);
  });

  it("reads the body as JSON whatever the Content-Type, as the original did", async () => {
    for (const type of ["application/x-www-form-urlencoded", "text/plain", "application/merge-patch+json"]) {
      const res = await call(h.app, "POST", "/jobs", {
        key: p.rawKey,
        raw: JSON.stringify(validJob({ name: type })),
        headers: { "content-type": type },
      });
      expect(res.statusCode, res.body).toBe(201);
      expect(json(res).job.name).toBe(type);
    }
  });

  it("treats an empty JSON body on an action endpoint as no body", async () => {
    const job = await createJob(h.app, p.rawKey);
    const res = await call(h.app, "POST", `/jobs/${job.id}/pause`, { key: p.rawKey, raw: "" });
    expect(res.statusCode, res.body).toBe(200);
    expect(json(res).job.enabled).toBe(false);
  });

  it("answers oversized request headers with the envelope", async () => {
    const res = await h.app.inject({ method: "GET", url: "/api/v1/jobs", headers: { authorization: `Bearer ${"x".repeat(20_000)}` } });
    // inject() bypasses Node's header size limit, so this is a 401; the 431 mapping is exercised over a socket.
    expect([401, 431]).toContain(res.statusCode);
    expect(json(res).status).toBe(res.statusCode);
  });
});
