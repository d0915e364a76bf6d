// The engine against the independent step-by-step reference in test/oracle.ts:
// - whole years in the zones the README names (15-minute steps: every expression and transition there is on a
//   quarter hour);
// - minute by minute around every 2026 transition of every zone that has one, and around historical oddities;
// - second by second for seconds-level expressions;
// - seeded random expressions around transitions of the named zones.
import { describe, expect, it } from "vitest";

import { nextRunAfter } from "../src/index.ts";
import { expectedFires, offsetChanges, walkFor } from "./oracle.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function engineFires(expr: string, tz: string, from: number, to: number): number[] {
  const out: number[] = [];
  let at = from - 1;
  for (;;) {
    at = nextRunAfter(expr, tz, new Date(at)).getTime();
    if (at >= to) return out;
    out.push(at);
  }
}

/** Equal lists; on failure the first differences are shown as ISO strings. */
function expectSame(label: string, expected: number[], actual: number[]) {
  const e = new Set(expected);
  const a = new Set(actual);
  const iso = (xs: number[]) => xs.slice(0, 4).map((x) => new Date(x).toISOString());
  const diff = { missing: iso(expected.filter((x) => !a.has(x))), extra: iso(actual.filter((x) => !e.has(x))) };
  expect({ label, ...diff }).toEqual({ label, missing: [], extra: [] });
  expect(actual).toEqual(expected);
}

const NAMED_ZONES: [string, number][] = [
  ["America/New_York", 2026],
  ["Europe/London", 2026],
  ["Australia/Sydney", 2026],
  ["Australia/Lord_Howe", 2026],
  ["America/Havana", 2026],
  ["Antarctica/Troll", 2026],
  ["America/Santiago", 2026],
  ["Europe/Chisinau", 2026],
  ["Asia/Tehran", 2022],
  ["Pacific/Apia", 2011],
  ["Asia/Kathmandu", 1985],
];

const QUARTER_HOUR_EXPRESSIONS = [
  "30 2 * * *",
  "30 1 * * *",
  "45 1 * * *",
  "0 0 * * *",
  "30 0 * * *",
  "45 23 * * *",
  "0 2 * * *",
  "15 2 * * *",
  "0 1,2 * * *",
  "0 1-3 * * *",
  "0,30 0-3 * * *",
  "0 */2 * * *",
  "0 */6 * * *",
  "0 * * * *",
  "30 * * * *",
  "*/15 * * * *",
  "0 0 13 * 5",
  "15 9 * * 1-5",
  "0 12 1 * *",
  "45 0 * * 0",
];

describe("engine = reference over a whole year", () => {
  it.each(NAMED_ZONES)("%s %i", (tz, year) => {
    // Kathmandu's one change was at the end of 1985: that year runs from July.
    const from = year === 1985 ? Date.parse("1985-07-01T00:00:00Z") : Date.UTC(year, 0, 1);
    const to = from + 365 * DAY;
    const w = walkFor(tz, from, to, 15 * 60_000);
    for (const expr of QUARTER_HOUR_EXPRESSIONS) expectSame(`${tz} ${expr}`, expectedFires(expr, w, from, to), engineFires(expr, tz, from, to));
  });
});

const MINUTE_EXPRESSIONS = [
  "* * * * *",
  "*/15 * * * *",
  "0 * * * *",
  "30 * * * *",
  "59 1 * * *",
  "* 0-3 * * *",
  "0 0 * * *",
  "45 23 * * *",
  "*/10 22-23,0-4 * * *",
  "17 2 * * *",
];

/** Zones whose offset is not the same all year, i.e. that have daylight saving time. */
const dstZones = Intl.supportedValuesOf("timeZone").filter((tz) => {
  const f = new Intl.DateTimeFormat("en-US", { timeZone: tz, timeZoneName: "longOffset" });
  const offset = (ms: number) => f.formatToParts(ms).find((p) => p.type === "timeZoneName")?.value;
  return new Set([0, 3, 6, 9].map((m) => offset(Date.UTC(2026, m, 15)))).size > 1;
});

describe("engine = reference minute by minute around transitions", () => {
  it("finds many zones with daylight saving time", () => {
    expect(dstZones.length).toBeGreaterThan(100);
  });

  it.each(dstZones)("%s, 2026", (tz) => {
    const changes = offsetChanges(tz, Date.UTC(2026, 0, 1), Date.UTC(2027, 0, 1));
    expect(changes.length).toBeGreaterThan(0);
    for (const t of changes) {
      const [from, to] = [t - 6 * HOUR, t + 6 * HOUR];
      const w = walkFor(tz, from, to);
      for (const expr of MINUTE_EXPRESSIONS) expectSame(`${tz} ${expr}`, expectedFires(expr, w, from, to), engineFires(expr, tz, from, to));
    }
  });

  it.each([
    ["Pacific/Apia", "2011-12-30T10:00:00Z"], // 24 hours skipped
    ["Pacific/Kwajalein", "1993-08-21T12:00:00Z"], // 24 hours skipped
    ["Pacific/Kiritimati", "1994-12-31T10:00:00Z"], // 24 hours skipped
    ["Pacific/Kwajalein", "1969-09-30T13:00:00Z"], // 23 hours repeated
    ["Asia/Kathmandu", "1985-12-31T18:30:00Z"], // 15 minutes skipped
  ])("%s at %s", (tz, at) => {
    const t = Date.parse(at);
    const [from, to] = [t - DAY, t + 2 * DAY];
    const w = walkFor(tz, from, to, 60_000, 2 * DAY);
    for (const expr of [...MINUTE_EXPRESSIONS, "0 12 * * *", "0 9 * * 5", "30 6 * * 6", "0 0 30,31 12 *"]) {
      expectSame(`${tz} ${expr}`, expectedFires(expr, w, from, to), engineFires(expr, tz, from, to));
    }
  });
});

describe("engine = reference second by second", () => {
  it.each([
    ["America/New_York", "2026-03-08T07:00:00Z"],
    ["America/New_York", "2026-11-01T06:00:00Z"],
    ["Australia/Lord_Howe", "2026-04-04T15:00:00Z"],
    ["Australia/Lord_Howe", "2026-10-03T15:30:00Z"],
    ["Antarctica/Troll", "2026-10-25T01:00:00Z"],
  ])("%s at %s", (tz, at) => {
    const t = Date.parse(at);
    const [from, to] = [t - HOUR, t + 2 * HOUR];
    const w = walkFor(tz, from, to, 1000, 3 * HOUR);
    for (const expr of ["*/20 * * * * *", "30 */15 * * * *", "*/5 0-2 2 * * *", "0 0 * * * *"]) {
      expectSame(`${tz} ${expr}`, expectedFires(expr, w, from, to), engineFires(expr, tz, from, to));
    }
  });
});

describe("engine = reference for seeded random expressions", () => {
  // A small deterministic generator (mulberry32): the same cases on every run.
  let seed = 20260308;
  const rand = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const field = (min: number, max: number, wildcardWeight: number): string => {
    const r = rand();
    if (r < wildcardWeight) return "*";
    if (r < wildcardWeight + 0.2) return `*/${int(2, Math.max(2, Math.floor((max - min) / 2)))}`;
    if (r < wildcardWeight + 0.4) {
      const a = int(min, max);
      return `${a}-${int(a, max)}`;
    }
    if (r < wildcardWeight + 0.55) return [...new Set([int(min, max), int(min, max), int(min, max)])].join(",");
    return String(int(min, max));
  };
  const cases = Array.from({ length: 100 }, () => {
    const [tz, year] = NAMED_ZONES[int(0, NAMED_ZONES.length - 1)] as [string, number];
    const expr = [field(0, 59, 0.1), field(0, 23, 0.35), field(1, 31, 0.8), field(1, 12, 0.85), field(0, 7, 0.8)].join(" ");
    return [tz, year, expr] as const;
  });
  const changes = new Map<string, number[]>();

  it.each(cases)("%s %i %j", (tz, year, expr) => {
    const from0 = year === 1985 ? Date.parse("1985-07-01T00:00:00Z") : Date.UTC(year, 0, 1);
    let list = changes.get(tz);
    if (!list) changes.set(tz, (list = offsetChanges(tz, from0, from0 + 365 * DAY)));
    // A window of two days around one of the zone's transitions, and ten ordinary days.
    const t = list[int(0, list.length - 1)] as number;
    for (const [from, to] of [[t - DAY, t + DAY], [from0 + 200 * DAY, from0 + 210 * DAY]] as const) {
      const w = walkFor(tz, from, to);
      expectSame(`${tz} ${expr}`, expectedFires(expr, w, from, to), engineFires(expr, tz, from, to));
    }
  });
});
