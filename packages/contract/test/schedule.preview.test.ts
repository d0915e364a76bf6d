// jobs.previewSchedule: description and next fire times, or the validation message, without creating anything.
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createTestDatabase, type TestDatabase } from "@btick/db/testing";
import { nextRuns } from "@btick/scheduling";

import { DEFAULT_JOB_LIMITS, intervalIssue } from "../src/services/limits.ts";
import { describeCron, previewSchedule } from "../src/services/schedule.ts";
import { createTenantWithKey } from "../src/testing.ts";
import { callerFor, rejection } from "./helpers.ts";

const NOW = new Date("2026-03-07T10:15:30.000Z");

describe("previewSchedule (pure)", () => {
  it("describes a valid schedule and lists the next 5 fire times in the timezone", () => {
    const p = previewSchedule({ cron_expression: " 30  2 * * * ", timezone: "America/New_York" }, NOW);
    expect(p).toEqual({
      valid: true,
      field: null,
      message: null,
      expression: "30 2 * * *",
      timezone: "America/New_York",
      description: "At 02:30",
      next_runs: nextRuns("30 2 * * *", "America/New_York", NOW, 5).map((d) => d.toISOString()),
    });
    // 8 March is the spring-forward day: 02:30 does not exist and fires at 03:30 EDT; then 02:30 EDT.
    expect(p.next_runs.slice(0, 2)).toEqual(["2026-03-08T07:30:00.000Z", "2026-03-09T06:30:00.000Z"]);
  });

  it("expands macros and describes seconds-level schedules", () => {
    expect(previewSchedule({ cron_expression: "@hourly", timezone: "UTC" }, NOW)).toMatchObject({
      valid: true,
      expression: "0 * * * *",
      description: "Every hour",
    });
    const s = previewSchedule({ cron_expression: "*/10 * * * * *", timezone: "UTC" }, NOW);
    expect(s.description).toBe("Every 10 seconds");
    expect(s.next_runs[0]).toBe("2026-03-07T10:15:40.000Z");
  });

  it("applies the server's minimum interval between fires, with the message job validation gives", () => {
    const limits = { ...DEFAULT_JOB_LIMITS, minIntervalSeconds: 60 };
    expect(previewSchedule({ cron_expression: "*/10 * * * * *", timezone: "UTC" }, NOW, limits)).toEqual({
      valid: false,
      field: "cron_expression",
      message: intervalIssue("*/10 * * * * *", "UTC", limits)?.message,
      expression: null,
      timezone: "UTC",
      description: null,
      next_runs: [],
    });
    expect(previewSchedule({ cron_expression: "* * * * *", timezone: "UTC" }, NOW, limits).valid).toBe(true);
  });

  it("treats a blank timezone as UTC", () => {
    expect(previewSchedule({ cron_expression: "0 0 * * *", timezone: "  " }, NOW)).toMatchObject({ valid: true, timezone: "UTC" });
  });

  it.each([
    ["", "UTC", "cron_expression", "is required"],
    ["* * *", "UTC", "cron_expression", /must have 5 fields/],
    ["0 0 31 2 *", "UTC", "cron_expression", /never fires/],
    ["61 * * * *", "UTC", "cron_expression", /invalid cron expression/],
    ["0 * * * *", "Mars/Olympus", "timezone", 'unknown IANA timezone "Mars/Olympus"'],
  ])("explains why %j in %s is invalid", (cron, tz, field, message) => {
    const p = previewSchedule({ cron_expression: cron, timezone: tz }, NOW);
    expect(p).toMatchObject({ valid: false, field, expression: null, description: null, next_runs: [] });
    if (typeof message === "string") expect(p.message).toBe(message);
    else expect(p.message).toMatch(message);
  });

  it("describeCron returns null rather than throwing", () => {
    expect(describeCron("not a cron")).toBeNull();
  });
});

describe("jobs.previewSchedule (procedure)", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it("needs jobs:read and answers without writing anything", async () => {
    const reader = await createTenantWithKey(db.prisma, ["jobs:read"]);
    const api = await callerFor(db.prisma, reader.rawKey);
    const p = await api.jobs.previewSchedule({ cron_expression: "*/5 * * * *", timezone: "Europe/Berlin" });
    expect(p).toMatchObject({ valid: true, description: "Every 5 minutes", timezone: "Europe/Berlin" });
    expect(p.next_runs).toHaveLength(5);
    expect(await db.prisma.job.count()).toBe(0);

    const writer = await createTenantWithKey(db.prisma, ["jobs:write"]);
    const { envelope } = await rejection((await callerFor(db.prisma, writer.rawKey)).jobs.previewSchedule({ cron_expression: "* * * * *" }));
    expect(envelope.status).toBe(403);
  });

  it("rejects unknown fields and oversized input as validation errors", async () => {
    const p = await createTenantWithKey(db.prisma, ["jobs:read"]);
    const api = await callerFor(db.prisma, p.rawKey);
    const { envelope } = await rejection(
      api.jobs.previewSchedule({ cron_expression: "x".repeat(201), timezone: "UTC", extra: 1 } as unknown as { cron_expression: string }),
    );
    expect(envelope.status).toBe(400);
    expect(envelope.validation?.map((i) => i.field).sort()).toEqual(["cron_expression", "extra"]);
  });
});
