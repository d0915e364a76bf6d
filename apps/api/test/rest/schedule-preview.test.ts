// POST /api/v1/schedule/preview: describe a schedule and list its next fire times (jobs:read).
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { call, expectError, expectIso, expectValidation, json, setup, type Harness } from "./harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await setup();
});
afterAll(async () => {
  await h.close();
});

describe("POST /schedule/preview", () => {
  it("answers 200 with the description and the next 5 fire times", async () => {
    const { rawKey } = await h.tenant(["jobs:read"]);
    const res = await call(h.app, "POST", "/schedule/preview", { key: rawKey, body: { cron_expression: "0 9 * * 1-5", timezone: "Europe/Berlin" } });
    expect(res.statusCode).toBe(200);
    const body = json(res);
    expect(Object.keys(body).sort()).toEqual(["description", "expression", "field", "message", "next_runs", "timezone", "valid"]);
    expect(body).toMatchObject({ valid: true, field: null, message: null, expression: "0 9 * * 1-5", timezone: "Europe/Berlin" });
    expect(body.description).toMatch(/09:00.*Monday through Friday/);
    expect(body.next_runs).toHaveLength(5);
    for (const t of body.next_runs) expectIso(t);
  });

  it("answers 200 with valid=false and the reason for a schedule a job would reject", async () => {
    const { rawKey } = await h.tenant(["jobs:read"]);
    const res = await call(h.app, "POST", "/schedule/preview", { key: rawKey, body: { cron_expression: "0 0 30 2 *" } });
    expect(res.statusCode).toBe(200);
    expect(json(res)).toEqual({
      valid: false,
      field: "cron_expression",
      message: "never fires: no month has that day",
      expression: null,
      timezone: "UTC",
      description: null,
      next_runs: [],
    });
  });

  it("needs a key with jobs:read and a well-formed body", async () => {
    expectError(await call(h.app, "POST", "/schedule/preview", { body: { cron_expression: "* * * * *" } }), 401, "missing bearer token");
    const { rawKey: writer } = await h.tenant(["jobs:write"]);
    expectError(await call(h.app, "POST", "/schedule/preview", { key: writer, body: { cron_expression: "* * * * *" } }), 403);
    const { rawKey } = await h.tenant(["jobs:read"]);
    expectValidation(await call(h.app, "POST", "/schedule/preview", { key: rawKey, body: { timezone: "UTC" } }), ["cron_expression"]);
    expectValidation(await call(h.app, "POST", "/schedule/preview", { key: rawKey, body: { cron_expression: "* * * * *", x: 1 } }), ["x"]);
  });
});
