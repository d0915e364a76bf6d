// Pure helpers of the job pages: form parsing, error mapping, masking and formatting.
import { TRPCError } from "@trpc/server";
import { describe, expect, it } from "vitest";

import { SCOPES } from "@btick/auth";
import { createCaller, createContext } from "@btick/contract";
import type { Db } from "@btick/db";

import { formatDuration, formatInZone, maskHeaders, MASK, prettyBody } from "../../src/ui/pages/jobs/format.ts";
import { fieldErrorsFrom, orphanHeaderErrors, readJobForm, toJobInput, VALIDATE_ONLY_FIELD, valuesFromJob } from "../../src/ui/pages/jobs/formData.ts";

describe("job form parsing", () => {
  it("pairs repeated header fields, drops empty rows and reads the checkbox", () => {
    const v = readJobForm({
      name: "n",
      method: "POST",
      url: "https://x.test",
      header_name: ["X-A", "", " X-B "],
      header_value: ["1", "", "2"],
      body: "",
      cron_expression: "* * * * *",
      timezone: "",
      retry_max: "2",
      timeout_seconds: "",
      enabled: ["false", "true"],
    });
    expect(v.headers).toEqual([
      { name: "X-A", value: "1" },
      { name: "X-B", value: "2" },
    ]);
    expect(v.enabled).toBe(true);
    expect(readJobForm({ enabled: "false" }).enabled).toBe(false);
    const { input, localErrors } = toJobInput(v);
    expect(localErrors).toEqual({});
    expect(input).toEqual({
      name: "n",
      method: "POST",
      url: "https://x.test",
      headers: { "X-A": "1", "X-B": "2" },
      body: null,
      cron_expression: "* * * * *",
      timezone: "UTC",
      enabled: true,
      retry_max: 2,
      max_runs: null,
    });
  });

  it("reports what only the form can see and passes odd numbers on for the API to judge", () => {
    const { input, localErrors } = toJobInput({
      ...readJobForm({}),
      headers: [
        { name: "", value: "orphan" },
        { name: "X-A", value: "1" },
        { name: "x-a", value: "2" },
      ],
      body: "{nope",
      retry_max: "1.5",
    });
    expect(Object.keys(localErrors).sort()).toEqual(["body", "headers", "headers.x-a"]);
    expect(localErrors.body?.[0]).toMatch(/^must be valid JSON/);
    expect(input.retry_max).toBe("1.5");
  });

  it("round-trips a job into form values", () => {
    const v = valuesFromJob({
      name: "n",
      method: "PUT",
      url: "https://x.test",
      headers: { A: "1" },
      body: { a: [1] },
      cron_expression: "@daily",
      timezone: "Europe/Berlin",
      retry_max: 3,
      timeout_seconds: 10,
      enabled: false,
      concurrency_policy: "replace",
      misfire_policy: "catch_up",
      misfire_catch_up_max: 7,
      max_runs: null,
    });
    expect(toJobInput(v).input).toMatchObject({
      headers: { A: "1" },
      body: { a: [1] },
      retry_max: 3,
      timeout_seconds: 10,
      enabled: false,
      concurrency_policy: "replace",
      misfire_policy: "catch_up",
      misfire_catch_up_max: 7,
      max_runs: null,
    });
  });

  it("maps the API's validation envelope to per-field messages and hides the validate-only marker", async () => {
    // A real validation failure from the API's procedure (input validation runs before any database access).
    const api = createCaller(
      await createContext({ db: {} as Db, principal: { kind: "user", id: "u", tenantId: "t", scopes: SCOPES } }),
    );
    const err = await api.jobs
      .create({ name: "", method: "POST", url: "https://x.test", cron_expression: "* * * * *", headers: { "X-Gone": "a\nb" }, [VALIDATE_ONLY_FIELD]: true } as never)
      .catch((e: unknown) => e);
    const errors = fieldErrorsFrom(err);
    expect(errors).toEqual({ name: ["must not be empty"], "headers.X-Gone": ["must not contain CR or LF"] });
    expect(orphanHeaderErrors(errors ?? {}, [{ name: "X-Kept" }])).toEqual(["X-Gone: must not contain CR or LF"]);
    expect(fieldErrorsFrom(new TRPCError({ code: "NOT_FOUND", message: "job not found" }))).toBeNull();
    expect(fieldErrorsFrom(new Error("boom"))).toBeNull();
  });
});

describe("formatting", () => {
  it("masks the headers the given rule calls secret, and only those", () => {
    const isSecret = (n: string) => n.toLowerCase() === "authorization";
    expect(MASK).toBe("***");
    expect(maskHeaders({ Authorization: "Bearer x", Accept: "json", apikey: "k" }, isSecret)).toEqual([
      ["Authorization", MASK, true],
      ["Accept", "json", false],
      ["apikey", "k", false],
    ]);
  });

  it("formats instants in a zone, durations and bodies", () => {
    expect(formatInZone("2026-07-01T12:00:00.000Z", "America/New_York")).toBe("2026-07-01 08:00:00 EDT");
    expect(formatInZone("2026-01-01T00:00:05.000Z", "UTC")).toBe("2026-01-01 00:00:05 UTC");
    expect(formatDuration(null)).toBe("—");
    expect(formatDuration(850)).toBe("850 ms");
    expect(formatDuration(1240)).toBe("1.24 s");
    expect(formatDuration(125_000)).toBe("2 min 5 s");
    expect(prettyBody('{"a":1}')).toEqual({ text: '{\n  "a": 1\n}', json: true });
    expect(prettyBody("<html>")).toEqual({ text: "<html>", json: false });
  });
});
