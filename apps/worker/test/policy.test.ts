// planScheduledSlots on fixed clocks (no database): the misfire threshold, what each misfire policy records, and the
// cost of planning (next-slot computations per job), which must not grow with the length of an outage.
import { nextRunAfter } from "@btick/scheduling";
import { describe, expect, it } from "vitest";

import { misfireSkippedMessage, planScheduledSlots } from "../src/policy.ts";

const at = (iso: string) => new Date(iso);
const iso = (d: Date | null) => d?.toISOString() ?? null;

/** Plans with the real cron, counting next-slot computations. */
function plan(job: Parameters<typeof planScheduledSlots>[0]) {
  let calls = 0;
  const result = planScheduledSlots(job, (after) => {
    calls++;
    return nextRunAfter(job.cron, job.timezone, after);
  });
  return { ...result, calls, rows: result.slots.map((s) => [iso(s.at), s.skippedBecause]) };
}

const everySecond = { cron: "* * * * * *", timezone: "UTC", catchUpMax: 10, thresholdMs: 60_000 };

describe("a slot late by less than the misfire threshold", () => {
  it("runs, whatever the policy, and the schedule continues with the slot after it", () => {
    for (const misfirePolicy of ["fire_once", "skip", "catch_up"]) {
      const p = plan({ ...everySecond, misfirePolicy, slot: at("2026-12-04T07:00:00Z"), now: at("2026-12-04T07:00:59.999Z") });
      expect(p.rows).toEqual([["2026-12-04T07:00:00.000Z", null]]);
      expect(iso(p.next)).toBe("2026-12-04T07:00:01.000Z");
      expect(p.calls).toBe(1);
    }
  });

  it("is no misfire right after a minute boundary either (a per-minute job one second late)", () => {
    // 0.4 s after a minute boundary, the slot one second earlier belongs to the previous minute.
    const p = plan({ cron: "* * * * *", timezone: "UTC", misfirePolicy: "skip", catchUpMax: 10, slot: at("2026-12-04T07:09:59.400Z"), now: at("2026-12-04T07:10:00.450Z") });
    expect(p.rows).toEqual([["2026-12-04T07:09:59.400Z", null]]);
  });
});

describe("a misfired slot (an hour-long outage of a per-second job)", () => {
  const outage = { ...everySecond, slot: at("2026-12-04T06:00:00Z"), now: at("2026-12-04T07:00:00Z") };
  // The job is back on time: next_run_at is the first slot after the claim.
  const next = "2026-12-04T07:00:01.000Z";

  it("fire_once: one run for the oldest; one skipped row records the rest of the gap", () => {
    const p = plan({ ...outage, misfirePolicy: "fire_once" });
    expect(p.rows).toEqual([
      ["2026-12-04T06:00:00.000Z", null],
      ["2026-12-04T06:00:01.000Z", misfireSkippedMessage("fire_once", at("2026-12-04T06:00:01Z"), at(next))],
    ]);
    expect(iso(p.next)).toBe(next);
    expect(p.calls).toBe(2);
  });

  it("skip: no run; one skipped row records the whole gap", () => {
    const p = plan({ ...outage, misfirePolicy: "skip" });
    expect(p.rows).toEqual([["2026-12-04T06:00:00.000Z", misfireSkippedMessage("skip", at("2026-12-04T06:00:00Z"), at(next))]]);
    expect(iso(p.next)).toBe(next);
    expect(p.calls).toBe(1);
  });

  it("catch_up: misfire_catch_up_max runs, oldest first; one skipped row records the rest", () => {
    const p = plan({ ...outage, misfirePolicy: "catch_up", catchUpMax: 3 });
    expect(p.rows).toEqual([
      ["2026-12-04T06:00:00.000Z", null],
      ["2026-12-04T06:00:01.000Z", null],
      ["2026-12-04T06:00:02.000Z", null],
      ["2026-12-04T06:00:03.000Z", misfireSkippedMessage("catch_up", at("2026-12-04T06:00:03Z"), at(next))],
    ]);
    expect(iso(p.next)).toBe(next);
    expect(p.calls).toBe(4);
  });

  it("catch_up with room for every due slot: a run each, no skipped row, and no gap before next_run_at", () => {
    const p = plan({ ...outage, thresholdMs: 5000, slot: at("2026-12-04T06:59:50Z"), misfirePolicy: "catch_up", catchUpMax: 100 });
    expect(p.rows).toEqual(Array.from({ length: 11 }, (_, i) => [new Date(Date.parse("2026-12-04T06:59:50Z") + i * 1000).toISOString(), null]));
    expect(iso(p.next)).toBe(next);
    expect(p.calls).toBe(11);
  });

  it("planning costs the same after a day-long outage (no walk over the missed slots)", () => {
    for (const misfirePolicy of ["fire_once", "skip", "catch_up"]) {
      const p = plan({ ...everySecond, misfirePolicy, slot: at("2026-12-03T07:00:00Z"), now: at("2026-12-04T07:00:00Z") });
      expect(p.calls).toBeLessThanOrEqual(everySecond.catchUpMax + 1);
      expect(p.slots.length).toBeLessThanOrEqual(everySecond.catchUpMax + 1);
      expect(iso(p.next)).toBe(next);
    }
  });

  it("the threshold is a parameter: 5 s", () => {
    const p = plan({ ...everySecond, misfirePolicy: "fire_once", thresholdMs: 5000, slot: at("2026-12-04T06:59:54Z"), now: at("2026-12-04T07:00:00Z") });
    expect(p.rows).toEqual([
      ["2026-12-04T06:59:54.000Z", null],
      ["2026-12-04T06:59:55.000Z", misfireSkippedMessage("fire_once", at("2026-12-04T06:59:55Z"), at(next))],
    ]);
    const notYet = plan({ ...everySecond, misfirePolicy: "fire_once", thresholdMs: 5000, slot: at("2026-12-04T06:59:55Z"), now: at("2026-12-04T07:00:00Z") });
    expect(notYet.rows).toEqual([["2026-12-04T06:59:55.000Z", null]]);
    expect(iso(notYet.next)).toBe("2026-12-04T06:59:56.000Z");
  });
});
