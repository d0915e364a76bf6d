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

  // Every message is ours: it names the cron field and what it takes; nothing of the parser's wording gets through.
  it.each([
    ["-1 * * * *", "minute", "0-59"],
    ["-5 * * * *", "minute", "0-59"],
    ["5- * * * *", "minute", "0-59"],
    ["60 * * * *", "minute", "0-59"],
    ["99999999999999999999 * * * *", "minute", "0-59"],
    ["*/0 * * * *", "minute", "0-59"],
    ["*/ * * * *", "minute", "0-59"],
    ["5-1 * * * *", "minute", "0-59"],
    ["1-2-3 * * * *", "minute", "0-59"],
    ["1/2/3 * * * *", "minute", "0-59"],
    ["1,,2 * * * *", "minute", "0-59"],
    ["a * * * *", "minute", "0-59"],
    ["1.5 * * * *", "minute", "0-59"],
    ["+5 * * * *", "minute", "0-59"],
    ["$ * * * *", "minute", "0-59"],
    ["* 24 * * *", "hour", "0-23"],
    ["0 0 L-3 * *", "day-of-month", "1-31"],
    ["0 0 L-40 * *", "day-of-month", "1-31"],
    ["0 0 L/2 * *", "day-of-month", "1-31"],
    ["0 0 1-L * *", "day-of-month", "1-31"],
    ["0 0 0L * *", "day-of-month", "1-31"],
    ["0 0 LW * *", "day-of-month", "1-31"],
    ["0 0 15W * *", "day-of-month", "1-31"],
    ["0 0 #3 * *", "day-of-month", "1-31"],
    ["* * 0 * *", "day-of-month", "1-31"],
    ["0 0 1-40 * *", "day-of-month", "1-31"],
    ["* * * 0 *", "month", "1-12"],
    ["* * * 13 *", "month", "1-12"],
    ["0 0 * JAN-FOO *", "month", "1-12"],
    ["* * * * 8", "day-of-week", "0-7"],
    ["* * * * 1-8", "day-of-week", "0-7"],
    ["0 0 * * 7-1", "day-of-week", "0-7"],
    ["0 0 * * 5-MON", "day-of-week", "0-7"],
    ["* * * * MON-FOO", "day-of-week", "0-7"],
    ["0 0 * * L", "day-of-week", "0-7"],
    ["0 0 * * L5", "day-of-week", "0-7"],
    ["0 0 * * 8L", "day-of-week", "0-7"],
    ["0 0 * * 1-5L", "day-of-week", "0-7"],
    ["0 0 * * 5#6", "day-of-week", "0-7"],
    ["0 0 * * 5#0", "day-of-week", "0-7"],
    ["0 0 * * 5#", "day-of-week", "0-7"],
    ["0 0 * * 1#2,3#4", "day-of-week", "0-7"],
    ["0 0 * * 1#2-3", "day-of-week", "0-7"],
    ["0 0 * * 0,7", "day-of-week", "0-7"],
    ["60 * * * * *", "second", "0-59"],
    ["0 60 * * * *", "minute", "0-59"],
  ])("explains %j in its own words, naming the %s field and its range", (expr, field, range) => {
    const r = checkSchedule(expr, "UTC", at("2026-01-01T00:00:00Z"));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.field).toBe("cron_expression");
    expect(r.message.startsWith(`invalid cron expression: ${field} `)).toBe(true);
    expect(r.message).toContain(range);
    expect(r.message).not.toMatch(/NaN|Constraint error|Validation error|Invalid characters|Invalid range|Invalid repeat|Invalid list|got value|got range|expected range|CronDayOf|incompatible|cannot resolve/i);
  });

  it("says why a field is wrong when it can tell", () => {
    const message = (expr: string) => {
      const r = checkSchedule(expr, "UTC", at("2026-01-01T00:00:00Z"));
      return r.ok ? "" : r.message;
    };
    expect(message("60 * * * *")).toBe('invalid cron expression: minute "60" is out of range (minute takes 0-59)');
    expect(message("-1 * * * *")).toBe('invalid cron expression: minute "-1" is not valid (minute takes 0-59)');
    expect(message("*/0 * * * *")).toMatch(/^invalid cron expression: minute "\*\/0" has a step of 0; a step must be at least 1 \(minute takes 0-59\)$/);
    expect(message("5-1 * * * *")).toBe('invalid cron expression: minute "5-1" is a backwards range; write the smaller value first (minute takes 0-59)');
    expect(message("0 0 * * 0,7")).toMatch(/^invalid cron expression: day-of-week "0,7" lists Sunday twice \(0 and 7 both mean Sunday\)/);
    expect(message("0 0 * * 1#2,3#4")).toMatch(/^invalid cron expression: day-of-week "1#2,3#4" cannot combine n#k with other values/);
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
