// The job input rules (plan: "Job input rules"), checked on the schema alone: no database needed.
import { describe, expect, it } from "vitest";

import { zodFieldIssues } from "../src/errors.ts";
import { jobCreateInput, jobListInput, jobUpdateInput } from "../src/schemas/jobs.ts";
import { validJob } from "./helpers.ts";

function issues(input: unknown) {
  const r = jobCreateInput.safeParse(input);
  return r.success ? [] : zodFieldIssues(r.error.issues);
}
function fieldsOf(input: unknown) {
  return issues(input).map((i) => i.field);
}

describe("job create input", () => {
  it("reports one message per bad timezone and stores zone names in their usual spelling", () => {
    expect(issues({ ...validJob, timezone: "" })).toEqual([{ field: "timezone", message: "must not be empty" }]);
    expect(jobCreateInput.parse({ ...validJob, timezone: " europe/berlin " }).timezone).toBe("Europe/Berlin");
    expect(jobCreateInput.parse({ ...validJob, timezone: "utc" }).timezone).toBe("UTC");
  });

  it("applies the defaults and normalises values", () => {
    const job = jobCreateInput.parse({ ...validJob, name: "  ping  ", method: " post ", url: " https://example.com/hook " });
    expect(job).toEqual({
      name: "ping",
      method: "POST",
      url: "https://example.com/hook",
      headers: {},
      body: null,
      cron_expression: "*/5 * * * *",
      timezone: "UTC",
      retry_max: 0,
      timeout_seconds: 60,
      enabled: true,
      concurrency_policy: "forbid",
      misfire_policy: "fire_once",
      misfire_catch_up_max: 10,
      max_runs: null,
    });
  });

  it("accepts every concurrency and misfire policy and the bounds of the counts", () => {
    for (const concurrency_policy of ["forbid", "allow", "replace"]) expect(issues({ ...validJob, concurrency_policy })).toEqual([]);
    for (const misfire_policy of ["fire_once", "skip", "catch_up"]) expect(issues({ ...validJob, misfire_policy })).toEqual([]);
    expect(issues({ ...validJob, misfire_catch_up_max: 1, max_runs: 1 })).toEqual([]);
    expect(issues({ ...validJob, misfire_catch_up_max: 100, max_runs: 100_000 })).toEqual([]);
    expect(issues({ ...validJob, max_runs: null })).toEqual([]);
  });

  it.each([
    ["name", { name: "   " }, "must not be empty"],
    ["name", { name: "x".repeat(201) }, "must be at most 200 characters"],
    ["method", { method: "TRACE" }, "must be one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS"],
    ["url", { url: "ftp://example.com" }, "must be an absolute http:// or https:// URL with a host"],
    ["url", { url: "https:///path" }, "must be an absolute http:// or https:// URL with a host"],
    ["url", { url: "/relative" }, "must be an absolute http:// or https:// URL with a host"],
    ["url", { url: `https://example.com/${"a".repeat(2048)}` }, "must be at most 2048 characters"],
    ["url", { url: "http://user:pass@example.com/" }, "must not contain credentials (user:password@); send them in an Authorization header instead"],
    ["url", { url: "http://example.com:0/" }, "must not use port 0; use a port between 1 and 65535"],
    ["headers.Host", { headers: { Host: "x" } }, "cannot be set; it is managed by the HTTP client"],
    ["headers.Content-Length", { headers: { "Content-Length": "1" } }, "cannot be set; it is managed by the HTTP client"],
    ["headers.bad name", { headers: { "bad name": "x" } }, "is not a valid header name"],
    ["headers.X-A", { headers: { "X-A": "a\r\nb" } }, "must not contain CR or LF"],
    ["headers.X-V", { headers: { "X-V": "😀" } }, "must contain only visible ASCII characters, spaces and tabs"],
    ["headers.X-V", { headers: { "X-V": "\u007f" } }, "must contain only visible ASCII characters, spaces and tabs"],
    ["headers.X-A", { headers: { "X-A": "v".repeat(8193) } }, "must be at most 8192 characters"],
    ["headers.X-A", { headers: { "X-A": 1 } }, "must be a string"],
    ["body", { method: "GET", body: { a: 1 } }, "body is not allowed for GET requests"],
    ["body", { method: "HEAD", body: "x" }, "body is not allowed for HEAD requests"],
    ["body", { body: "x".repeat(64 * 1024) }, "must be at most 65536 bytes when serialized"],
    ["body.id", { body: { id: 2 ** 60 } }, "must be an integer between -9007199254740991 and 9007199254740991 (larger ones lose precision); send it as a string"],
    ["cron_expression", { cron_expression: "0 0 31 2 *" }, "never fires: no month has that day"],
    ["cron_expression", { cron_expression: "x".repeat(201) }, "must be at most 200 characters"],
    ["cron_expression", { cron_expression: "* * *" }, undefined],
    ["timezone", { timezone: "Mars/Olympus" }, "must be an IANA time zone such as UTC or Europe/Berlin"],
    ["timezone", { timezone: "x".repeat(65) }, "must be at most 64 characters"],
    ["timezone", { timezone: "  " }, "must not be empty"],
    ["headers.X-BTick-Job-Id", { headers: { "X-BTick-Job-Id": "spoof" } }, "cannot be set; BTick sets it on every request"],
    ["headers.idempotency-key", { headers: { "idempotency-key": "mine" } }, "cannot be set; BTick sets it on every request"],
    ["headers.Webhook-Signature", { headers: { "Webhook-Signature": "v1,x" } }, "cannot be set; BTick sets it on every request"],
    ["retry_max", { retry_max: 11 }, "must be between 0 and 10"],
    ["retry_max", { retry_max: 1.5 }, "must be an integer"],
    ["retry_max", { retry_max: "3" }, "must be an integer"],
    ["timeout_seconds", { timeout_seconds: 0 }, "must be between 1 and 900"],
    ["timeout_seconds", { timeout_seconds: 901 }, "must be between 1 and 900"],
    ["enabled", { enabled: "false" }, "must be true or false"],
    ["concurrency_policy", { concurrency_policy: "queue" }, "must be one of forbid, allow, replace"],
    ["concurrency_policy", { concurrency_policy: "FORBID" }, "must be one of forbid, allow, replace"],
    ["misfire_policy", { misfire_policy: "run_all" }, "must be one of fire_once, skip, catch_up"],
    ["misfire_catch_up_max", { misfire_catch_up_max: 0 }, "must be between 1 and 100"],
    ["misfire_catch_up_max", { misfire_catch_up_max: 101 }, "must be between 1 and 100"],
    ["misfire_catch_up_max", { misfire_catch_up_max: "5" }, "must be an integer"],
    ["max_runs", { max_runs: 0 }, "must be between 1 and 100000"],
    ["max_runs", { max_runs: 100_001 }, "must be between 1 and 100000"],
    ["max_runs", { max_runs: 2.5 }, "must be an integer"],
    ["extra", { extra: 1 }, "is not a known field"],
  ])("rejects %s (%j)", (field, patch, message) => {
    const found = issues({ ...validJob, ...patch });
    const entry = found.find((i) => i.field === field);
    expect(entry, JSON.stringify(found)).toBeDefined();
    if (message) expect(entry?.message).toBe(message);
  });

  it("accepts bodies with non-GET methods, 50 headers, macros and seconds fields", () => {
    const headers = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`X-H${i}`, "v"]));
    expect(issues({ ...validJob, body: { a: [1, null] }, headers })).toEqual([]);
    expect(issues({ ...validJob, cron_expression: "@hourly", timezone: "Europe/Berlin" })).toEqual([]);
    expect(issues({ ...validJob, cron_expression: "*/10 * * * * *" })).toEqual([]);
    expect(fieldsOf({ ...validJob, headers: { ...headers, "X-One-Too-Many": "v" } })).toEqual(["headers"]);
  });

  it("reports missing required fields as 'is required'", () => {
    expect(issues({})).toEqual([
      { field: "name", message: "is required" },
      { field: "method", message: "is required" },
      { field: "url", message: "is required" },
      { field: "cron_expression", message: "is required" },
    ]);
  });

  it("collects every error at once, cross-field rules included", () => {
    const fields = fieldsOf({ name: "", method: "GET", url: "nope", body: 1, cron_expression: "0 0 31 2 *", retry_max: -1, bogus: true });
    expect(fields.sort()).toEqual(["body", "bogus", "cron_expression", "name", "retry_max", "url"]);
  });
});

describe("job patch input", () => {
  const jobId = "7b0a0f2e-4a43-4f6b-9d8a-0d8f3f0f6a11";
  it("keeps absent fields absent and null body as null", () => {
    expect(jobUpdateInput.parse({ jobId, body: null })).toEqual({ jobId, body: null });
    expect(jobUpdateInput.parse({ jobId })).toEqual({ jobId });
    expect(jobUpdateInput.parse({ jobId, max_runs: null })).toEqual({ jobId, max_runs: null });
  });
  it("validates the policy fields of a patch", () => {
    const r = jobUpdateInput.safeParse({ jobId, concurrency_policy: "x", misfire_policy: "y", misfire_catch_up_max: 0, max_runs: -1 });
    expect(zodFieldIssues(r.error?.issues ?? []).map((i) => i.field).sort()).toEqual([
      "concurrency_policy",
      "max_runs",
      "misfire_catch_up_max",
      "misfire_policy",
    ]);
  });
  it("checks the cron expression of the patch alongside the other fields", () => {
    const r = jobUpdateInput.safeParse({ jobId, name: "", cron_expression: "0 0 31 2 *", timezone: "Nowhere/Land" });
    expect(zodFieldIssues(r.error?.issues ?? []).map((i) => i.field).sort()).toEqual(["cron_expression", "name", "timezone"]);
  });
  it("rejects null for non-nullable fields and unknown fields", () => {
    const r = jobUpdateInput.safeParse({ jobId, name: null, created_at: "x" });
    expect(r.success).toBe(false);
    expect(zodFieldIssues(r.error?.issues ?? []).map((i) => i.field).sort()).toEqual(["created_at", "name"]);
  });
});

describe("list input", () => {
  it.each(["abc", "0", "501", "1.5", "-1", "", " 5", "1e2"])("rejects limit=%j", (limit) => {
    const r = jobListInput.safeParse({ limit });
    expect(r.success).toBe(false);
    expect(zodFieldIssues(r.error?.issues ?? [])).toEqual([{ field: "limit", message: "must be an integer between 1 and 500" }]);
  });
  it("accepts limits as strings or numbers and defaults to 50", () => {
    expect(jobListInput.parse({ limit: "500" }).limit).toBe(500);
    expect(jobListInput.parse({ limit: 1 }).limit).toBe(1);
    expect(jobListInput.parse(undefined).limit).toBe(50);
  });
  it("parses enabled=true|false without truthiness coercion and rejects other values", () => {
    expect(jobListInput.parse({ enabled: "false" }).enabled).toBe(false);
    expect(jobListInput.parse({ enabled: true }).enabled).toBe(true);
    expect(jobListInput.safeParse({ enabled: "yes" }).success).toBe(false);
  });
  it("rejects an invalid cursor", () => {
    const r = jobListInput.safeParse({ cursor: "not-a-cursor" });
    expect(zodFieldIssues(r.error?.issues ?? [])).toEqual([{ field: "cursor", message: "is not a valid cursor" }]);
  });
});
