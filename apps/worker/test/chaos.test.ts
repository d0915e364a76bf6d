// Short form of `pnpm test:chaos` (test/chaos.ts): real worker processes, SIGKILLs, a cut Postgres connection.
import { describe, expect, it } from "vitest";

import { printReport, runChaos } from "./chaos.ts";

describe("chaos (short form)", () => {
  it("no slot executed or recorded twice, every due slot recorded, nothing left running, repeats only as retries", async () => {
    const report = await runChaos({ durationMs: 12_000, jobs: 80, workers: 3, killEveryMs: 3000, leaseSeconds: 4 });
    printReport(report);
    expect(report.violations).toEqual([]);
    expect(report.counts["workers SIGKILLed"]).toBeGreaterThanOrEqual(2);
    expect(report.counts["postgres sessions terminated"]).toBeGreaterThan(0);
    expect(report.counts["slots due in the window"]).toBeGreaterThan(150);
  }, 150_000);
});
