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

  const NUL = "must not contain NUL (\\u0000) characters";
  it.each([
    ["a NUL in the name", { name: "a\u0000b" }, "name", NUL],
    ["a NUL in the URL", { url: "http://example.com/\u0000" }, "url", NUL],
    ["a NUL in a header value", { headers: { "X-A": "1\u00002" } }, "headers.X-A", NUL],
    ["a NUL inside the body", { body: { text: "x\u0000y" } }, "body.text", NUL],
    ["a NUL in a body key", { body: { "k\u0000": 1 } }, "body", `keys ${NUL}`],
    ["an unpaired surrogate", { name: "\ud800" }, "name", "must not contain unpaired surrogates (invalid UTF-16)"],
  ])("rejects %s as a validation error on its field, not a database error", async (_label, overrides, field, message) => {
    const res = await call(h.app, "POST", "/jobs", { key: p.rawKey, body: validJob(overrides) });
    const body = expectError(res, 400, "Validation failed", { validation: true });
    expect(body.validation).toEqual([{ field, message }]);
  });

  it("reports every NUL at once, one entry per field, on create and on PATCH", async () => {
    const res = await call(h.app, "POST", "/jobs", {
      key: p.rawKey,
      body: validJob({ name: "a\u0000", timezone: "UTC\u0000", headers: { "X-A": "\u0000", "X-B": "ok" }, body: { list: ["ok", "\u0000"] } }),
    });
    expect(expectError(res, 400, "Validation failed", { validation: true }).validation).toEqual([
      { field: "name", message: NUL },
      { field: "timezone", message: NUL },
      { field: "headers.X-A", message: NUL },
      { field: "body.list.1", message: NUL },
    ]);
    const job = await createJob(h.app, p.rawKey);
    const patch = await call(h.app, "PATCH", `/jobs/${job.id}`, { key: p.rawKey, body: { name: "\u0000", cron_expression: "\u0000 * * * *" } });
    expect(expectError(patch, 400, "Validation failed", { validation: true }).validation).toEqual([
      { field: "name", message: NUL },
      { field: "cron_expression", message: NUL },
    ]);
    const trpc = await h.app.inject({
      method: "POST",
      url: "/trpc/jobs.create",
      headers: { authorization: `Bearer ${p.rawKey}`, "content-type": "application/json" },
      payload: JSON.stringify(validJob({ name: "a\u0000" })),
    });
    expect(trpc.statusCode).toBe(400);
    expect(json(trpc).error.data.envelope.validation).toEqual([{ field: "name", message: NUL }]);
  });

  it("takes JSON bodies: application/json, application/*+json, and no Content-Type at all", async () => {
    for (const type of ["application/json", "application/json; charset=utf-8", "APPLICATION/JSON", "application/merge-patch+json", "application/vnd.api+json", null]) {
      const res = await h.app.inject({
        method: "POST",
        url: "/api/v1/jobs",
        headers: { authorization: `Bearer ${p.rawKey}`, ...(type ? { "content-type": type } : {}) },
        payload: JSON.stringify(validJob({ name: String(type) })),
      });
      expect(res.statusCode, `${type}: ${res.body}`).toBe(201);
      expect(json(res).job.name).toBe(String(type));
    }
  });

  it("answers 415 with the envelope to a body of another type, before anything is created", async () => {
    const before = await h.db.job.count();
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "application/xml", "multipart/form-data; boundary=x", "application/octet-stream"]) {
      const res = await call(h.app, "POST", "/jobs", { key: p.rawKey, raw: JSON.stringify(validJob()), headers: { "content-type": type } });
      const body = expectError(res, 415);
      expect(body.error.error_message).toBe(
        `unsupported content type "${type.split(";")[0]}": send the body as JSON (Content-Type: application/json, or application/merge-patch+json for PATCH)`,
      );
    }
    const job = await createJob(h.app, p.rawKey);
    const patch = await call(h.app, "PATCH", `/jobs/${job.id}`, { key: p.rawKey, raw: "name=x", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expectError(patch, 415);
    expect(await h.db.job.count()).toBe(before + 1);
  });

  it("answers 415 on /trpc as well (a multipart body was a 500)", async () => {
    for (const type of ["multipart/form-data; boundary=x", "text/plain", "application/x-www-form-urlencoded", "application/octet-stream"]) {
      const res = await h.app.inject({
        method: "POST",
        url: "/trpc/jobs.create",
        headers: { authorization: `Bearer ${p.rawKey}`, "content-type": type },
        payload: "--x\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nn\r\n--x--\r\n",
      });
      expect(res.statusCode, `${type}: ${res.body}`).toBe(415);
      expect(res.body).toContain("UNSUPPORTED_MEDIA_TYPE");
      expect(res.body).not.toMatch(/internal server error/);
    }
  });

  it("an empty body of any type on an action endpoint counts as no body (curl -X POST -d '')", async () => {
    const job = await createJob(h.app, p.rawKey);
    const res = await call(h.app, "POST", `/jobs/${job.id}/pause`, { key: p.rawKey, raw: "", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(res.statusCode, res.body).toBe(200);
    expect(json(res).job.enabled).toBe(false);
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
