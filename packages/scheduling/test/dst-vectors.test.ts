// The DST policy (README "Scheduling semantics", src/cron.ts) as a table of hand-checked vectors, one or more per
// kind of transition: one-hour shifts (New York, London, Sydney, Chisinau), a 30-minute shift (Lord_Howe), a 2-hour
// shift (Troll), transitions at midnight (Havana, Santiago, Tehran), skipped days (Apia 2011, Kwajalein 1993), a
// 23-hour repeat (Kwajalein 1969) and a 15-minute shift (Kathmandu 1986). Each comment gives the local wall time and
// offset of every fire. Runs under TZ=UTC, Australia/Sydney and America/New_York like the rest of the package.
import { describe, expect, it } from "vitest";

import { checkSchedule, nextRunAfter, nextRuns } from "../src/index.ts";

/** All fire times in [from, to), as ISO strings. */
function between(expr: string, tz: string, from: string, to: string): string[] {
  const out: string[] = [];
  const end = Date.parse(to);
  let at = new Date(Date.parse(from) - 1);
  for (;;) {
    const next = nextRunAfter(expr, tz, at);
    if (next.getTime() <= at.getTime() || out.length > 1000) throw new Error(`runaway: ${next.toISOString()} after ${at.toISOString()}`);
    at = next;
    if (at.getTime() >= end) return out;
    out.push(at.toISOString().replace(":00.000Z", "Z"));
  }
}

type Vector = [tz: string, expr: string, from: string, to: string, fires: string[]];

const vectors: Vector[] = [
  // ---- America/New_York: 2026-03-08 07:00Z 02:00 EST -> 03:00 EDT; 2026-11-01 06:00Z 02:00 EDT -> 01:00 EST.
  ["America/New_York", "30 2 * * *", "2026-03-07T12:00Z", "2026-03-09T12:00Z", [
    "2026-03-08T07:30Z", // 02:30 does not exist: 03:30 EDT
    "2026-03-09T06:30Z", // 02:30 EDT
  ]],
  ["America/New_York", "0 2,3 * * *", "2026-03-08T05:00Z", "2026-03-08T12:00Z", [
    "2026-03-08T07:00Z", // 02:00 shifted to 03:00 EDT, the same instant as 03:00: once
  ]],
  ["America/New_York", "30 1 * * *", "2026-11-01T00:00Z", "2026-11-02T00:00Z", [
    "2026-11-01T05:30Z", // 01:30 EDT; not again at 01:30 EST
  ]],
  ["America/New_York", "30 * * * *", "2026-11-01T04:00Z", "2026-11-01T08:00Z", [
    "2026-11-01T04:30Z", // 00:30 EDT
    "2026-11-01T05:30Z", // 01:30 EDT
    "2026-11-01T06:30Z", // 01:30 EST (every hour: both occurrences)
    "2026-11-01T07:30Z", // 02:30 EST
  ]],
  // ---- Europe/London: 2026-03-29 01:00Z 01:00 GMT -> 02:00 BST; 2026-10-25 01:00Z 02:00 BST -> 01:00 GMT.
  ["Europe/London", "30 1 * * *", "2026-03-28T12:00Z", "2026-03-29T12:00Z", [
    "2026-03-29T01:30Z", // 01:30 does not exist: 02:30 BST
  ]],
  ["Europe/London", "30 1 * * *", "2026-10-24T12:00Z", "2026-10-25T12:00Z", [
    "2026-10-25T00:30Z", // 01:30 BST only
  ]],
  ["Europe/London", "*/30 * * * *", "2026-10-24T23:00Z", "2026-10-25T03:00Z", [
    "2026-10-24T23:00Z", "2026-10-24T23:30Z", // 00:00, 00:30 BST
    "2026-10-25T00:00Z", "2026-10-25T00:30Z", // 01:00, 01:30 BST
    "2026-10-25T01:00Z", "2026-10-25T01:30Z", // 01:00, 01:30 GMT
    "2026-10-25T02:00Z", "2026-10-25T02:30Z", // 02:00, 02:30 GMT
  ]],
  // ---- Australia/Sydney: 2026-04-04 16:00Z 03:00 AEDT -> 02:00 AEST; 2026-10-03 16:00Z 02:00 AEST -> 03:00 AEDT.
  ["Australia/Sydney", "30 2 * * *", "2026-04-04T00:00Z", "2026-04-05T12:00Z", [
    "2026-04-04T15:30Z", // 02:30 AEDT only (not 02:30 AEST at 16:30Z)
  ]],
  ["Australia/Sydney", "0 * * * *", "2026-04-04T14:00Z", "2026-04-04T18:00Z", [
    "2026-04-04T14:00Z", // 01:00 AEDT
    "2026-04-04T15:00Z", // 02:00 AEDT
    "2026-04-04T16:00Z", // 02:00 AEST
    "2026-04-04T17:00Z", // 03:00 AEST
  ]],
  ["Australia/Sydney", "30 2 * * *", "2026-10-03T00:00Z", "2026-10-04T12:00Z", [
    "2026-10-03T16:30Z", // 02:30 does not exist: 03:30 AEDT
  ]],
  // ---- Australia/Lord_Howe (30-minute shift): 2026-04-04 15:00Z 02:00 +11 -> 01:30 +10:30;
  //      2026-10-03 15:30Z 02:00 +10:30 -> 02:30 +11.
  ["Australia/Lord_Howe", "59 1 * * *", "2026-04-04T00:00Z", "2026-04-05T12:00Z", [
    "2026-04-04T14:59Z", // 01:59 +11 only (cron-parser also fired 01:59 +10:30 at 15:29Z)
  ]],
  ["Australia/Lord_Howe", "*/15 * * * *", "2026-04-04T14:00Z", "2026-04-04T16:00Z", [
    "2026-04-04T14:00Z", "2026-04-04T14:15Z", "2026-04-04T14:30Z", "2026-04-04T14:45Z", // 01:00 .. 01:45 +11
    "2026-04-04T15:00Z", "2026-04-04T15:15Z", // 01:30, 01:45 +10:30 (cron-parser lost these two)
    "2026-04-04T15:30Z", "2026-04-04T15:45Z", // 02:00, 02:15 +10:30
  ]],
  ["Australia/Lord_Howe", "0 * * * *", "2026-04-04T13:00Z", "2026-04-04T17:00Z", [
    "2026-04-04T13:00Z", // 00:00 +11
    "2026-04-04T14:00Z", // 01:00 +11 (02:00 +11 never comes: the clock goes back at 01:59:59)
    "2026-04-04T15:30Z", // 02:00 +10:30
    "2026-04-04T16:30Z", // 03:00 +10:30
  ]],
  ["Australia/Lord_Howe", "0 12 * * *", "2027-04-03T01:01Z", "2027-04-05T12:00Z", [
    "2027-04-04T01:30Z", // 12:00 +10:30 the day after the fall back (cron-parser threw "loop limit exceeded")
    "2027-04-05T01:30Z",
  ]],
  ["Australia/Lord_Howe", "0 */6 * * *", "2027-04-03T12:00Z", "2027-04-04T12:00Z", [
    "2027-04-03T13:00Z", // 00:00 +11
    "2027-04-03T19:30Z", // 06:00 +10:30
    "2027-04-04T01:30Z", // 12:00 +10:30
    "2027-04-04T07:30Z", // 18:00 +10:30
  ]],
  ["Australia/Lord_Howe", "*/15 * * * *", "2026-10-03T15:00Z", "2026-10-03T16:30Z", [
    "2026-10-03T15:00Z", "2026-10-03T15:15Z", // 01:30, 01:45 +10:30
    "2026-10-03T15:30Z", "2026-10-03T15:45Z", // 02:30, 02:45 +11 (= 02:00, 02:15 shifted: once each)
    "2026-10-03T16:00Z", "2026-10-03T16:15Z", // 03:00, 03:15 +11
  ]],
  ["Australia/Lord_Howe", "15 2 * * *", "2026-10-03T00:00Z", "2026-10-04T12:00Z", [
    "2026-10-03T15:45Z", // 02:15 does not exist: 02:45 +11
  ]],
  // ---- America/Havana (transitions at midnight): 2026-03-08 05:00Z 00:00 CST -> 01:00 CDT;
  //      2026-11-01 05:00Z 01:00 CDT -> 00:00 CST.
  ["America/Havana", "0 0 * * *", "2026-03-07T00:00Z", "2026-03-10T00:00Z", [
    "2026-03-07T05:00Z", // 00:00 CST
    "2026-03-08T05:00Z", // 00:00 does not exist: 01:00 CDT
    "2026-03-09T04:00Z", // 00:00 CDT
  ]],
  ["America/Havana", "30 0 * * *", "2026-03-08T00:00Z", "2026-03-08T12:00Z", ["2026-03-08T05:30Z"]], // 01:30 CDT
  ["America/Havana", "0 0 * * *", "2026-10-31T00:00Z", "2026-11-03T00:00Z", [
    "2026-10-31T04:00Z", // 00:00 CDT
    "2026-11-01T04:00Z", // 00:00 CDT, the first of two (cron-parser skipped the day)
    "2026-11-02T05:00Z", // 00:00 CST
  ]],
  ["America/Havana", "30 0 * * *", "2026-10-31T00:00Z", "2026-11-03T00:00Z", [
    "2026-10-31T04:30Z",
    "2026-11-01T04:30Z", // 00:30 CDT only
    "2026-11-02T05:30Z",
  ]],
  ["America/Havana", "0 0 * * *", "2026-11-01T04:30Z", "2026-11-03T00:00Z", [
    "2026-11-02T05:00Z", // from inside the repeat: not again at 00:00 CST on 11-01
  ]],
  // ---- Antarctica/Troll (2-hour shift): 2026-03-29 01:00Z 01:00 +00 -> 03:00 +02;
  //      2026-10-25 01:00Z 03:00 +02 -> 01:00 +00.
  ["Antarctica/Troll", "0 2 * * *", "2026-10-24T12:00Z", "2026-10-26T00:00Z", [
    "2026-10-25T00:00Z", // 02:00 +02 only (cron-parser also fired 02:00 +00)
  ]],
  ["Antarctica/Troll", "0 * * * *", "2026-10-24T22:00Z", "2026-10-25T04:00Z", [
    "2026-10-24T22:00Z", "2026-10-24T23:00Z", "2026-10-25T00:00Z", // 00:00, 01:00, 02:00 +02
    "2026-10-25T01:00Z", "2026-10-25T02:00Z", "2026-10-25T03:00Z", // 01:00, 02:00, 03:00 +00
  ]],
  ["Antarctica/Troll", "0 2 * * *", "2026-03-28T12:00Z", "2026-03-29T12:00Z", [
    "2026-03-29T02:00Z", // 02:00 does not exist: 04:00 +02
  ]],
  ["Antarctica/Troll", "0 * * * *", "2026-03-29T00:00Z", "2026-03-29T03:00Z", [
    "2026-03-29T00:00Z", // 00:00 +00
    "2026-03-29T01:00Z", // 01:00 shifted = 03:00 +02
    "2026-03-29T02:00Z", // 02:00 shifted = 04:00 +02
  ]],
  // ---- America/Santiago (at midnight): 2026-04-05 03:00Z 00:00 -03 -> 23:00 -04 (Saturday's 23:00 repeats);
  //      2026-09-06 04:00Z 00:00 -04 -> 01:00 -03.
  ["America/Santiago", "30 23 * * *", "2026-04-04T12:00Z", "2026-04-06T00:00Z", [
    "2026-04-05T02:30Z", // Saturday 23:30 -03 only
  ]],
  ["America/Santiago", "0 0 * * *", "2026-04-04T00:00Z", "2026-04-06T00:00Z", [
    "2026-04-04T03:00Z", // 00:00 -03
    "2026-04-05T04:00Z", // 00:00 -04 (occurs once)
  ]],
  ["America/Santiago", "0 0 * * *", "2026-09-05T00:00Z", "2026-09-07T06:00Z", [
    "2026-09-05T04:00Z", // 00:00 -04
    "2026-09-06T04:00Z", // 00:00 does not exist: 01:00 -03
    "2026-09-07T03:00Z", // 00:00 -03
  ]],
  ["America/Santiago", "15 0 * * 0", "2026-09-01T00:00Z", "2026-09-10T00:00Z", [
    "2026-09-06T04:15Z", // Sunday 00:15 does not exist: 01:15 -03, still Sunday
  ]],
  // ---- Europe/Chisinau: 2026-03-29 00:00Z 02:00 -> 03:00; 2026-10-25 00:00Z 03:00 -> 02:00.
  ["Europe/Chisinau", "30 2 * * *", "2026-03-28T12:00Z", "2026-03-29T12:00Z", ["2026-03-29T00:30Z"]], // 03:30 +03
  ["Europe/Chisinau", "30 2 * * *", "2026-10-24T12:00Z", "2026-10-25T12:00Z", ["2026-10-24T23:30Z"]], // 02:30 +03 only
  ["Europe/Chisinau", "*/20 * * * *", "2026-10-24T22:00Z", "2026-10-25T01:00Z", [
    "2026-10-24T22:00Z", "2026-10-24T22:20Z", "2026-10-24T22:40Z", // 01:00 .. 01:40 +03
    "2026-10-24T23:00Z", "2026-10-24T23:20Z", "2026-10-24T23:40Z", // 02:00 .. 02:40 +03
    "2026-10-25T00:00Z", "2026-10-25T00:20Z", "2026-10-25T00:40Z", // 02:00 .. 02:40 +02
  ]],
  // ---- Asia/Tehran 2022 (at midnight): 03-21 20:30Z 00:00 +03:30 -> 01:00 +04:30;
  //      09-21 19:30Z 00:00 +04:30 -> 23:00 +03:30 (the evening of 09-21 repeats).
  ["Asia/Tehran", "0 0 * * *", "2022-03-20T12:00Z", "2022-03-23T00:00Z", [
    "2022-03-20T20:30Z", // 03-21 00:00 +03:30
    "2022-03-21T20:30Z", // 03-22 00:00 does not exist: 01:00 +04:30
    "2022-03-22T19:30Z", // 03-23 00:00 +04:30
  ]],
  ["Asia/Tehran", "30 23 * * *", "2022-09-21T00:00Z", "2022-09-22T12:00Z", [
    "2022-09-21T19:00Z", // 23:30 +04:30 only
  ]],
  ["Asia/Tehran", "0 0 * * *", "2022-09-21T00:00Z", "2022-09-22T12:00Z", [
    "2022-09-21T20:30Z", // 09-22 00:00 +03:30 (the first midnight never completed)
  ]],
  // ---- Pacific/Apia 2011: 12-30 10:00Z, 12-29 24:00 -10 -> 12-31 00:00 +14 (Friday 12-30 does not exist).
  ["Pacific/Apia", "0 12 * * *", "2011-12-29T00:00Z", "2012-01-01T00:00Z", [
    "2011-12-29T22:00Z", // 12-29 12:00 -10
    "2011-12-30T22:00Z", // 12-30 12:00 shifted by the gap = 12-31 12:00 +14: once
    "2011-12-31T22:00Z", // 01-01 12:00 +14
  ]],
  ["Pacific/Apia", "0 9 * * 5", "2011-12-24T00:00Z", "2012-01-07T00:00Z", [
    "2011-12-30T19:00Z", // Friday 09:00 does not exist: Saturday 09:00 +14
    "2012-01-05T19:00Z", // Friday 01-06 09:00 +14
  ]],
  ["Pacific/Apia", "0 0 30 12 *", "2011-06-01T00:00Z", "2012-06-01T00:00Z", [
    "2011-12-30T10:00Z", // 12-30 00:00 shifted by 24 h: the transition itself
  ]],
  // ---- Pacific/Kwajalein: 1993-08-21 12:00Z, 08-20 24:00 -12 -> 08-22 00:00 +12 (08-21 does not exist);
  //      1969-09-30 13:00Z, 09-30 24:00 +11 -> 09-30 01:00 -12 (23 hours repeat).
  ["Pacific/Kwajalein", "0 12 21 8 *", "1993-01-01T00:00Z", "1994-01-01T00:00Z", ["1993-08-22T00:00Z"]], // = 08-22 12:00 +12
  ["Pacific/Kwajalein", "0 12 * * *", "1969-09-29T00:00Z", "1969-10-03T00:00Z", [
    "1969-09-29T01:00Z", // 09-29 12:00 +11
    "1969-09-30T01:00Z", // 09-30 12:00 +11 only (not 12:00 -12 at 10-01 00:00Z)
    "1969-10-02T00:00Z", // 10-01 12:00 -12
  ]],
  // ---- Asia/Kathmandu: 1985-12-31 18:30Z, 00:00 +05:30 -> 00:15 +05:45; today +05:45 all year.
  ["Asia/Kathmandu", "0 0 * * *", "1985-12-30T00:00Z", "1986-01-02T00:00Z", [
    "1985-12-30T18:30Z", // 12-31 00:00 +05:30
    "1985-12-31T18:30Z", // 01-01 00:00 does not exist: 00:15 +05:45
    "1986-01-01T18:15Z", // 01-02 00:00 +05:45
  ]],
  ["Asia/Kathmandu", "*/15 * * * *", "1985-12-31T18:00Z", "1985-12-31T19:00Z", [
    "1985-12-31T18:00Z", "1985-12-31T18:15Z", // 23:30, 23:45 +05:30
    "1985-12-31T18:30Z", "1985-12-31T18:45Z", // 00:15 (= 00:00 shifted), 00:30 +05:45
  ]],
  ["Asia/Kathmandu", "0 9 * * *", "2026-06-01T00:00Z", "2026-06-03T00:00Z", ["2026-06-01T03:15Z", "2026-06-02T03:15Z"]],
];

describe("DST policy vectors", () => {
  it.each(vectors)("%s %j from %s to %s", (tz, expr, from, to, fires) => {
    expect(between(expr, tz, from, to)).toEqual(fires);
  });
});

describe("a fire time always exists", () => {
  it("every daily fixed time in Australia/Lord_Howe, computed from every half hour around the 2027 fall back", () => {
    // cron-parser threw "Invalid expression, loop limit exceeded" here; the worker then stopped scheduling the job.
    expect(nextRunAfter("0 12 * * *", "Australia/Lord_Howe", new Date("2027-04-03T01:00:00Z")).toISOString()).toBe("2027-04-04T01:30:00.000Z");
    for (let h = 0; h < 24; h++) {
      for (const m of [0, 30, 59]) {
        const expr = `${m} ${h} * * *`;
        for (let t = Date.parse("2027-04-02T12:00Z"); t < Date.parse("2027-04-04T18:00Z"); t += 30 * 60_000) {
          const next = nextRunAfter(expr, "Australia/Lord_Howe", new Date(t)).getTime();
          expect(next).toBeGreaterThan(t);
          expect(next - t).toBeLessThanOrEqual(25.5 * 3_600_000);
        }
      }
    }
  });
  it("a fire time that is the transition instant itself, computed from a time with milliseconds", () => {
    // The worker computes from the database's now(), which has sub-second precision; the previous code looped
    // forever here (03:00 on the spring-forward day is the first instant after the gap).
    expect(nextRunAfter("0 3 * * *", "America/New_York", new Date("2026-03-07T12:34:56.789Z")).toISOString()).toBe("2026-03-08T07:00:00.000Z");
    expect(nextRunAfter("0 3 * * *", "Europe/Berlin", new Date("2026-03-28T02:00:00.123Z")).toISOString()).toBe("2026-03-29T01:00:00.000Z");
    expect(nextRunAfter("0 2,3 * * *", "America/New_York", new Date("2026-03-08T04:59:59.999Z")).toISOString()).toBe("2026-03-08T07:00:00.000Z");
  });
  it("rare schedules accepted at create keep firing: leap days across 2100, which is not a leap year", () => {
    expect(checkSchedule("0 0 29 2 *", "Pacific/Apia", new Date("2097-01-01T00:00:00Z"))).toMatchObject({ ok: true });
    expect(nextRuns("0 0 29 2 *", "UTC", new Date("2096-03-01T00:00:00Z"), 2).map((d) => d.toISOString())).toEqual([
      "2104-02-29T00:00:00.000Z",
      "2108-02-29T00:00:00.000Z",
    ]);
    // The fifth Monday of February: only in leap years whose February starts on a Monday.
    expect(nextRuns("0 0 * 2 1#5", "UTC", new Date("2026-01-01T00:00:00Z"), 2).map((d) => d.toISOString())).toEqual([
      "2044-02-29T00:00:00.000Z",
      "2072-02-29T00:00:00.000Z",
    ]);
  });
  it("the create-time check still rejects what never fires", () => {
    expect(checkSchedule("0 0 30 2 *", "Australia/Lord_Howe")).toMatchObject({ ok: false, message: "never fires: no month has that day" });
    expect(checkSchedule("0 0 31 4,6,9,11 *", "UTC")).toMatchObject({ ok: false, message: "never fires: no month has that day" });
  });
});

describe("`0 0 13 * 5`: the 13th or a Friday, 61 times in 2026 in any zone", () => {
  const local = new Map<string, Intl.DateTimeFormat>();
  it.each([
    ["UTC", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"],
    ["America/New_York", "2026-01-01T05:00:00Z", "2027-01-01T05:00:00Z"],
    ["Australia/Sydney", "2025-12-31T13:00:00Z", "2026-12-31T13:00:00Z"],
    ["Pacific/Kiritimati", "2025-12-31T10:00:00Z", "2026-12-31T10:00:00Z"],
  ])("%s", (tz, from, to) => {
    const fires = between("0 0 13 * 5", tz, from, to);
    expect(fires).toHaveLength(61);
    let f = local.get(tz);
    if (!f) {
      f = new Intl.DateTimeFormat("en-US", { timeZone: tz, hourCycle: "h23", day: "numeric", weekday: "short", hour: "numeric", minute: "numeric" });
      local.set(tz, f);
    }
    for (const iso of fires) {
      const p = Object.fromEntries(f.formatToParts(new Date(iso)).map((x) => [x.type, x.value]));
      expect(`${p.hour}:${p.minute}`).toBe("00:00");
      expect(p.day === "13" || p.weekday === "Fri").toBe(true);
    }
  });
});
