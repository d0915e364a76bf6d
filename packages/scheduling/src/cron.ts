import { CronExpressionParser } from "cron-parser";

import { compileCron, nextWall, type CompiledCron } from "./fields.ts";
import { isValidTimeZone } from "./timezone.ts";
import { zone, type Transition, type Zone } from "./zone.ts";

/**
 * Accepted syntax: 5 fields (minute hour day-of-month month day-of-week), or 6 with a leading seconds
 * field, or one of the macros below. When both day-of-month and day-of-week are restricted a day matches
 * if either does (Vixie cron). Expressions are evaluated in the job's IANA timezone.
 *
 * Rejected on purpose: `TZ=`/`CRON_TZ=` prefixes (the job's `timezone` field is the one place a zone is set),
 * `@every` (anchoring is ambiguous; use a step such as `*\/5 * * * *`), `@reboot`, and Jenkins-style `H`
 * (a hashed, non-obvious slot).
 */
export const CRON_MACROS: Record<string, string> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

export type CronCheck = { ok: true; expression: string } | { ok: false; message: string };

/** Returns the 5/6-field form of an expression (macros expanded), or why it is not acceptable. */
export function normalizeCron(raw: string): CronCheck {
  const expr = raw.trim().replace(/\s+/g, " ");
  if (expr === "") return { ok: false, message: "is required" };
  if (/^(CRON_)?TZ=/i.test(expr)) {
    return { ok: false, message: "must not carry a TZ= prefix; set the job's timezone field instead" };
  }
  if (expr.startsWith("@")) {
    const expanded = CRON_MACROS[expr.toLowerCase()];
    if (!expanded) {
      return { ok: false, message: `unknown macro ${expr}; use one of ${Object.keys(CRON_MACROS).join(", ")}` };
    }
    return { ok: true, expression: expanded };
  }
  const fields = expr.split(" ");
  if (fields.length !== 5 && fields.length !== 6) {
    return {
      ok: false,
      message: `must have 5 fields (minute hour day-of-month month day-of-week) or 6 with leading seconds, got ${fields.length}`,
    };
  }
  // cron-parser accepts Jenkins' H (a hashed slot); names like THU merely contain the letter.
  if (fields.some((f) => /(^|,)H/i.test(f))) {
    return { ok: false, message: "does not support the H (hash) symbol" };
  }
  return { ok: true, expression: expr };
}


export type ScheduleCheck = { ok: true; expression: string; next: Date } | { ok: false; field: "cron_expression" | "timezone"; message: string };

/**
 * Full validation of a schedule: syntax, timezone, and that it fires at least once in the future.
 * An expression that can never fire (e.g. `0 0 31 2 *`) is rejected here rather than silently never running. One
 * that fires once fires forever: wall-clock matches repeat with the 400-year Gregorian cycle, and every matching
 * wall-clock time gets a fire time (see the DST policy below), so nextRunAfter never fails for an accepted schedule.
 */
export function checkSchedule(rawExpression: string, timezone: string, now: Date = new Date()): ScheduleCheck {
  if (!isValidTimeZone(timezone)) return { ok: false, field: "timezone", message: `unknown IANA timezone "${timezone}"` };
  const norm = normalizeCron(rawExpression);
  if (!norm.ok) return { ok: false, field: "cron_expression", message: norm.message };
  let compiled: CompiledCron;
  try {
    compiled = compiledFor(norm.expression);
  } catch (err) {
    // The parser's own messages ("Constraint error, got range NaN-1 …") never reach a client: a field that is wrong
    // on its own is explained here; otherwise the fields are fine but the schedule never fires.
    const fieldProblem = cronFieldProblem(norm.expression);
    if (fieldProblem) return { ok: false, field: "cron_expression", message: `invalid cron expression: ${fieldProblem}` };
    const msg = (err as Error).message;
    if (/day of month/i.test(msg)) return { ok: false, field: "cron_expression", message: "never fires: no month has that day" };
    return { ok: false, field: "cron_expression", message: `invalid cron expression: ${CRON_SYNTAX}` };
  }
  const next = nextFire(compiled, zone(timezone), now.getTime());
  if (!Number.isFinite(next)) return { ok: false, field: "cron_expression", message: "never fires" };
  return { ok: true, expression: norm.expression, next: new Date(next) };
}

// ---- Explaining a bad field ---------------------------------------------------------------------------------------

interface CronField {
  name: string;
  min: number;
  max: number;
  /** Names accepted for values (index + offset = value). */
  names?: readonly string[];
  nameOffset?: number;
  takes: string;
}

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"] as const;
const WEEKDAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"] as const;

const SECOND: CronField = { name: "second", min: 0, max: 59, takes: "0-59" };
const CRON_FIELDS: readonly CronField[] = [
  { name: "minute", min: 0, max: 59, takes: "0-59" },
  { name: "hour", min: 0, max: 23, takes: "0-23" },
  { name: "day-of-month", min: 1, max: 31, takes: "1-31, L (the last day of the month) or ?" },
  { name: "month", min: 1, max: 12, names: MONTHS, nameOffset: 1, takes: "1-12 or JAN-DEC" },
  {
    name: "day-of-week",
    min: 0,
    max: 7,
    names: WEEKDAYS,
    nameOffset: 0,
    takes: "0-7 or SUN-SAT (0 and 7 are Sunday), ?, nL (the last weekday n of the month) or n#k (the k-th weekday n, k 1-5)",
  },
];

const CRON_SYNTAX =
  "each field takes a value, a list (1,2), a range (1-5) or a step (*/5); minute 0-59, hour 0-23, day-of-month 1-31, month 1-12, day-of-week 0-7";

/** The numeric value of a field token (a number or, where the field has them, a name), or null. */
function tokenValue(field: CronField, token: string): number | null {
  if (/^\d+$/.test(token)) return Number(token);
  const i = field.names?.indexOf(token.toUpperCase() as never) ?? -1;
  return i >= 0 ? i + (field.nameOffset ?? 0) : null;
}

/** Why the field text is wrong, in our words, when a common mistake explains it. */
function fieldHint(field: CronField, text: string): string {
  if (/\/(0*)(,|$)/.test(text)) return "has a step of 0; a step must be at least 1";
  if (field.name === "day-of-month" && /L-/i.test(text)) return "uses L-n (days before the last), which is not supported; L alone is the last day";
  const nth = /#(\d*)$/.exec(text);
  if (field.name === "day-of-week" && nth && !/^[1-5]$/.test(nth[1] ?? "")) return "needs a k of 1-5 after #";
  if (field.name === "day-of-week" && text.includes("#") && /[,-]/.test(text)) return "cannot combine n#k with other values";
  if (field.name === "day-of-week") {
    const items = text.split(",");
    if (items.includes("0") && items.includes("7")) return "lists Sunday twice (0 and 7 both mean Sunday)";
  }
  for (const m of text.matchAll(/(?:^|[,/])([A-Za-z0-9]+)-([A-Za-z0-9]+)(?=$|[,/])/g)) {
    const lo = tokenValue(field, m[1] as string);
    const hi = tokenValue(field, m[2] as string);
    if (lo !== null && hi !== null && lo >= field.min && hi <= field.max && lo > hi) return "is a backwards range; write the smaller value first";
  }
  for (const m of text.matchAll(/(?:^|[,-])(\d+)(?=$|[,/-])/g)) {
    const v = Number(m[1]);
    if (v < field.min || v > field.max) return "is out of range";
  }
  return "is not valid";
}

/**
 * The first field of a normalized expression that the parser rejects on its own (the other fields replaced by `*`),
 * explained: `minute "60" is out of range (minute takes 0-59)`. Null when every field is acceptable alone.
 */
function cronFieldProblem(expression: string): string | null {
  const parts = expression.split(" ");
  const fields = parts.length === 6 ? [SECOND, ...CRON_FIELDS] : CRON_FIELDS;
  for (const [i, text] of parts.entries()) {
    const alone = parts.map((p, j) => (j === i ? p : "*")).join(" ");
    try {
      CronExpressionParser.parse(alone, { tz: "UTC", currentDate: new Date(0), strict: false }).next();
    } catch {
      const field = fields[i] as CronField;
      return `${field.name} "${text}" ${fieldHint(field, text)} (${field.name} takes ${field.takes})`;
    }
  }
  return null;
}

// ---- DST policy ---------------------------------------------------------------------------------------------------
// Expressions are matched against the job's local wall clock (year, month, day, weekday, hour, minute, second), and
// each matching wall-clock time W gets fire times in absolute time:
// - W occurs once: that instant.
// - W does not exist (a gap: spring forward, or a skipped day): W taken with the offset in force before the gap, i.e.
//   shifted forward by the length of the gap (`30 2 * * *` in America/New_York on 2026-03-08 fires at 03:30 EDT).
//   When that lands on an instant that also fires for an existing time, it fires once.
// - W occurs twice (a repeated range: fall back): the first occurrence; and the second too when the hour field
//   allows every hour (`*`, `*/1`, `0-23`), so such schedules (`*/15 * * * *`, `* * * * * *`) keep their interval in
//   absolute time through the repeat. `30 1 * * *` fires at 01:30 EDT on 2026-11-01, not again at 01:30 EST.
// This holds for any offset change the zone has (30-minute and 2-hour shifts, transitions at midnight, 24-hour
// jumps). cron-parser is used to parse only: its iteration throws "loop limit exceeded" in Australia/Lord_Howe, skips
// days with a transition at midnight (America/Havana), fires a fixed time twice or drops interval slots when the
// shift is not one hour (Lord_Howe, Antarctica/Troll), and returns a repeated time's second occurrence when started
// inside it.

const ONE_SECOND = 1000;
/** Every instant of a wall-clock time lies within this distance of it (offsets stay well under a day). */
const WINDOW = 2 * 86_400_000;

/** Compiled schedules by expression as written (normalizing is a large share of a computation's cost). */
const compiledCache = new Map<string, CompiledCron>();

/** The compiled form of an expression; throws for an invalid one. */
function compiledFor(raw: string): CompiledCron {
  let c = compiledCache.get(raw);
  if (!c) {
    const norm = normalizeCron(raw);
    if (!norm.ok) throw new Error(`invalid cron expression: ${norm.message}`);
    c = compileCron(norm.expression);
    if (compiledCache.size >= 5000) compiledCache.clear();
    compiledCache.set(raw, c);
  }
  return c;
}

/**
 * The first instant of wall-clock time `w`: its only or first occurrence; for a time inside a gap, the time shifted
 * forward by the gap, with the gap's transition.
 */
function resolveWall(z: Zone, w: number): { at: number; gap: Transition | null } {
  const ts = z.transitionsBetween(w - WINDOW, w + WINDOW);
  if (ts.length === 0) return { at: w - z.offsetAt(w), gap: null };
  // Each stretch between transitions has one offset; `w - offset` is an occurrence if it falls in its stretch.
  let start = w - WINDOW;
  let offset = z.offsetAt(start);
  for (const t of ts) {
    if (w - offset >= start && w - offset < t.at) return { at: w - offset, gap: null };
    start = t.at;
    offset = t.after;
  }
  if (w - offset >= start) return { at: w - offset, gap: null };
  for (const t of ts) {
    if (t.after > t.before && w >= t.at + t.before && w < t.at + t.after) return { at: w - t.before, gap: t };
  }
  return { at: w - offset, gap: null };
}

/** The first fire time strictly after `after` (ms), or NaN when the expression never fires. */
function nextFire(c: CompiledCron, z: Zone, after: number): number {
  const s = Math.floor(after / ONE_SECOND) * ONE_SECOND + ONE_SECOND;
  let best = Infinity;
  let wallStart = s + z.offsetAt(s);
  // A transition shortly before s whose gap or repeated range s is still inside.
  for (const t of z.transitionsBetween(s - WINDOW, s + ONE_SECOND)) {
    const length = Math.abs(t.after - t.before);
    if (s >= t.at + length) continue;
    if (t.after > t.before) {
      // Times of the gap from `s + before` on fire at their shifted instants, from s on.
      const w = nextWall(c, s + t.before);
      if (w < t.at + t.after) best = Math.min(best, w - t.before);
    } else {
      // s is in the second occurrence of the repeated range: its times had their first occurrence already.
      wallStart = Math.max(wallStart, t.at + t.before);
      if (c.everyHour) {
        const w = nextWall(c, s + t.after);
        if (w < t.at + t.before) best = Math.min(best, w - t.after);
      }
    }
  }
  // The next matching wall-clock time from s's own, at its first (or gap-shifted) instant.
  const w = nextWall(c, wallStart);
  if (!Number.isNaN(w)) {
    const r = resolveWall(z, w);
    best = Math.min(best, r.at);
    if (r.gap) {
      // Existing times right after the gap fire from the transition on and may come before the shifted one.
      const w2 = nextWall(c, r.gap.at + r.gap.after);
      if (w2 < w + (r.gap.after - r.gap.before)) best = Math.min(best, resolveWall(z, w2).at);
    }
  }
  // Every-hour schedules: second occurrences of a repeated range that starts after s, before the fire time found.
  if (c.everyHour) {
    for (const t of z.transitionsBetween(s + ONE_SECOND, Math.min(best, s + WINDOW))) {
      if (t.after >= t.before) continue;
      const w2 = nextWall(c, t.at + t.after);
      if (w2 < t.at + t.before) best = Math.min(best, w2 - t.after);
    }
  }
  return best === Infinity ? NaN : best;
}

/**
 * The first `count` fire times strictly after `after`, in absolute time.
 * The expression must already have passed `checkSchedule` (then this never throws).
 */
export function nextRuns(expression: string, timezone: string, after: Date, count: number): Date[] {
  const c = compiledFor(expression);
  const z = zone(timezone);
  const out: Date[] = [];
  let at = after.getTime();
  for (let i = 0; i < count; i++) {
    at = nextFire(c, z, at);
    if (Number.isNaN(at)) throw new Error(`cron expression "${expression}" never fires`);
    out.push(new Date(at));
  }
  return out;
}

/** The first fire time strictly after `after`. */
export function nextRunAfter(expression: string, timezone: string, after: Date): Date {
  return nextRuns(expression, timezone, after, 1)[0] as Date;
}
