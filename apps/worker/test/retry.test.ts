import { describe, expect, it } from "vitest";

import type { AttemptResult } from "../src/execute.ts";
import { backoffMs, isRetryable, runWithRetries } from "../src/retry.ts";

const result = (over: Partial<AttemptResult>): AttemptResult => ({
  outcome: "http_error",
  retryable: true,
  statusCode: 500,
  headers: {},
  body: "",
  bodyTruncated: false,
  bodyBytes: 0,
  bodyBytesCapped: false,
  errorMessage: "x",
  retryAfter: null,
  aborted: false,
  ...over,
});

describe("isRetryable", () => {
  it.each([
    [{ outcome: "network_error", statusCode: null }, true],
    [{ outcome: "timeout", statusCode: null }, true],
    [{ statusCode: 500 }, true],
    [{ statusCode: 503 }, true],
    [{ statusCode: 429 }, true],
    [{ statusCode: 404 }, false],
    [{ statusCode: 400 }, false],
    [{ statusCode: 301 }, false],
    [{ outcome: "success", statusCode: 200 }, false],
    [{ outcome: "network_error", statusCode: null, aborted: true }, false],
  ] as [Partial<AttemptResult>, boolean][])("%j → %s", (over, expected) => {
    expect(isRetryable(result(over))).toBe(expected);
  });
});

describe("backoffMs", () => {
  const opts = { retryBaseMs: 1000, retryCapMs: 60_000, retryAfterCapMs: 300_000 };
  it("grows exponentially with jitter and a cap", () => {
    for (let i = 0; i < 20; i++) {
      const d1 = backoffMs(1, result({}), opts, new Date());
      expect(d1).toBeGreaterThanOrEqual(500);
      expect(d1).toBeLessThanOrEqual(1000);
      const d3 = backoffMs(3, result({}), opts, new Date());
      expect(d3).toBeGreaterThanOrEqual(2000);
      expect(d3).toBeLessThanOrEqual(4000);
      expect(backoffMs(20, result({}), opts, new Date())).toBeLessThanOrEqual(60_000);
    }
  });
  it("honours Retry-After (seconds or date), capped", () => {
    const now = new Date("2026-01-01T00:00:00Z");
    expect(backoffMs(1, result({ retryAfter: "7" }), opts, now)).toBe(7000);
    expect(backoffMs(1, result({ retryAfter: "Thu, 01 Jan 2026 00:00:30 GMT" }), opts, now)).toBe(30_000);
    expect(backoffMs(1, result({ retryAfter: "86400" }), opts, now)).toBe(300_000);
  });
});

describe("runWithRetries", () => {
  const fast = { retryBaseMs: 1, retryCapMs: 2, retryAfterCapMs: 10, now: () => new Date() };
  it("stops at maxAttempts", async () => {
    let n = 0;
    const out = await runWithRetries(3, { beforeAttempt: async () => true, attempt: async () => (n++, result({})) }, fast);
    expect(n).toBe(3);
    expect(out).toMatchObject({ attempts: 3, stoppedBy: null });
  });
  it("stops at once on a non-retryable result", async () => {
    let n = 0;
    const out = await runWithRetries(3, { beforeAttempt: async () => true, attempt: async () => (n++, result({ retryable: false, statusCode: 404 })) }, fast);
    expect(n).toBe(1);
    expect(out).toMatchObject({ attempts: 1, stoppedBy: null });
  });
  it("stops when the fence is lost before an attempt", async () => {
    const out = await runWithRetries(5, { beforeAttempt: async (i) => i < 2, attempt: async () => result({}) }, fast);
    expect(out).toMatchObject({ attempts: 1, stoppedBy: "fence" });
  });
  it("stops during backoff when aborted", async () => {
    const controller = new AbortController();
    // An hour's backoff: the test finishes only because the abort cuts it short.
    const promise = runWithRetries(
      5,
      { beforeAttempt: async () => true, attempt: async () => result({}) },
      { retryBaseMs: 3_600_000, retryCapMs: 3_600_000, retryAfterCapMs: 10, signal: controller.signal, now: () => new Date() },
    );
    setTimeout(() => controller.abort(), 50);
    const out = await promise;
    expect(out).toMatchObject({ attempts: 1, stoppedBy: "shutdown" });
  });
});
