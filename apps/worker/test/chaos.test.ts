// Short form of `pnpm test:chaos` (test/chaos.ts): real worker processes, SIGKILLs, a cut Postgres connection, a
// fleet-wide outage longer than the misfire threshold, and API edits, pauses, deletes and manual triggers meanwhile.
import { describe, expect, it } from "vitest";

import { printReport, runChaos } from "./chaos.ts";

describe("chaos (short form)", () => {
  it("every due slot recorded, each called once outside retries, attempts match calls, triggers run once, workers recover", async () => {
    const report = await runChaos({
      durationMs: 20_000,
      jobs: 80,
      workers: 3,
      killEveryMs: 3000,
      leaseSeconds: 4,
      outageMs: 5000,
      misfireThresholdSeconds: 3,
      apiEveryMs: 300,
    });
    printReport(report);
    expect(report.violations).toEqual([]);
    expect(report.counts["workers SIGKILLed one at a time"]).toBeGreaterThanOrEqual(2);
    expect(report.counts["workers SIGKILLed all at once (outage)"]).toBe(3);
    expect(report.counts["postgres sessions terminated"]).toBeGreaterThan(0);
    expect(report.counts["slots due in the window (checked)"]).toBeGreaterThan(150);
    expect(report.counts["misfire gap rows"]).toBeGreaterThan(0);
    expect(report.counts["api: manual triggers"]).toBeGreaterThan(0);
    expect(report.counts["api: schedule edits"]).toBeGreaterThan(0);
  }, 170_000);
});
