import { describe, expect, it } from "vitest";

import { checkSchedule, nextRuns, normalizeCron } from "../src/cron.ts";
import { parseRetryAfter, retryDelayMs } from "../src/backoff.ts";
import { normalizeTimeZone } from "../src/timezone.ts";

const at = (iso: string) => new Date(iso);

describe("checkSchedule", () => {
  it.each([
    ["*/5 * * * *", "UTC"],
    ["*/10 * * * * *", "UTC"],
    ["@hourly", "Europe/Paris"],
    ["@midnight", "UTC"],
    ["0 9 * * MON-FRI", "America/New_York"],
    ["0 0 29 2 *", "UTC"],
  ])("accepts %s in %s", (expr, tz) => {
    expect(checkSchedule(expr, tz, at("2026-01-01T00:00:00Z")).ok).toBe(true);
  });

  it.each([
    ["0 0 31 2 *", /never fires/],
    ["0 0 30 2 *", /never fires/],
    ["* * * *", /5 fields/],
    ["* * * * * * *", /5 fields/],
    ["61 * * * *", /invalid cron expression/],
    ["TZ=UTC 0 * * * *", /TZ= prefix/],
    ["@every 5m", /unknown macro/],
    ["H * * * *", /H \(hash\)/],
    ["", /required/],
  ])("rejects %j", (expr, message) => {
    const r = checkSchedule(expr, "UTC");
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.field).toBe("cron_expression");
      expect(r.message).toMatch(message);
    }
  });

  it.each(["Mars/Olympus", "Local", " UTC", ""])("rejects timezone %j", (tz) => {
    const r = checkSchedule("* * * * *", tz);
    expect(r).toMatchObject({ ok: false, field: "timezone" });
  });

  it("keeps names containing the letter H (THU, MARCH)", () => {
    expect(normalizeCron("0 0 * MAR THU")).toEqual({ ok: true, expression: "0 0 * MAR THU" });
  });
});

describe("nextRuns", () => {
  it("evaluates in the job's timezone and returns absolute instants", () => {
    expect(nextRuns("0 9 * * *", "America/New_York", at("2026-06-01T00:00:00Z"), 2)).toEqual([
      at("2026-06-01T13:00:00Z"),
      at("2026-06-02T13:00:00Z"),
    ]);
  });

  it("is strictly after the reference instant", () => {
    expect(nextRuns("0 * * * *", "UTC", at("2026-06-01T10:00:00Z"), 1)).toEqual([at("2026-06-01T11:00:00Z")]);
  });

  it("supports a leading seconds field", () => {
    expect(nextRuns("*/15 * * * * *", "UTC", at("2026-06-01T10:00:00Z"), 3)).toEqual([
      at("2026-06-01T10:00:15Z"),
      at("2026-06-01T10:00:30Z"),
      at("2026-06-01T10:00:45Z"),
    ]);
  });
});

describe("backoff", () => {
  it("grows exponentially, is capped and jittered within [exp/2, exp]", () => {
    const opts = { baseMs: 1000, capMs: 8000 };
    expect(retryDelayMs(1, opts, () => 0)).toBe(500);
    expect(retryDelayMs(1, opts, () => 1)).toBe(1000);
    expect(retryDelayMs(3, opts, () => 1)).toBe(4000);
    expect(retryDelayMs(10, opts, () => 1)).toBe(8000);
    expect(retryDelayMs(10, opts, () => 0)).toBe(4000);
  });

  it("parses Retry-After seconds and dates", () => {
    const now = at("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("7", now)).toBe(7000);
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:03 GMT", now)).toBe(3000);
    expect(parseRetryAfter("Wed, 31 Dec 2025 00:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    // Negative or odd values fall back to the normal backoff instead of "retry now".
    expect(parseRetryAfter("-5", now)).toBeUndefined();
    expect(parseRetryAfter("1.5", now)).toBeUndefined();
    expect(parseRetryAfter("2026", now)).toBe(2026 * 1000);
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe("normalizeTimeZone", () => {
  it.each([
    ["utc", "UTC"],
    ["Europe/berlin", "Europe/Berlin"],
    ["america/new_york", "America/New_York"],
    ["Asia/Kolkata", "Asia/Kolkata"],
    ["US/Eastern", "US/Eastern"],
    ["Mars/Base", "Mars/Base"],
  ])("%s → %s", (input, expected) => {
    expect(normalizeTimeZone(input)).toBe(expected);
  });
});
