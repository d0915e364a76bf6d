import { CronExpressionParser } from "cron-parser";

import { isValidTimeZone } from "./timezone.ts";

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
 * An expression that can never fire (e.g. `0 0 31 2 *`) is rejected here rather than silently never running.
 */
export function checkSchedule(rawExpression: string, timezone: string, now: Date = new Date()): ScheduleCheck {
  if (!isValidTimeZone(timezone)) return { ok: false, field: "timezone", message: `unknown IANA timezone "${timezone}"` };
  const norm = normalizeCron(rawExpression);
  if (!norm.ok) return { ok: false, field: "cron_expression", message: norm.message };
  try {
    CronExpressionParser.parse(norm.expression, { tz: timezone, currentDate: now, strict: false }).next();
    return { ok: true, expression: norm.expression, next: new Date(nextAfterMs(norm.expression, timezone, now.getTime())) };
  } catch (err) {
    // The parser's own messages ("Constraint error, got range NaN-1 …") never reach a client: a field that is wrong
    // on its own is explained here; otherwise the fields are fine but the schedule never fires.
    const fieldProblem = cronFieldProblem(norm.expression);
    if (fieldProblem) return { ok: false, field: "cron_expression", message: `invalid cron expression: ${fieldProblem}` };
    const msg = (err as Error).message;
    if (/day of month/i.test(msg)) return { ok: false, field: "cron_expression", message: "never fires: no month has that day" };
    if (/Out of valid range|Invalid explicit|loop/i.test(msg)) return { ok: false, field: "cron_expression", message: "never fires" };
    return { ok: false, field: "cron_expression", message: `invalid cron expression: ${CRON_SYNTAX}` };
  }
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
// Expressions are evaluated on the job's local wall clock. Around a DST transition:
// - spring forward (a gap): a local time that does not exist that day fires once, shifted forward by the length of the
//   gap (`30 2 * * *` in America/New_York on 2026-03-08 fires at 03:30 EDT);
// - fall back (a repeated hour): a schedule with a fixed hour fires once, at the first occurrence (`30 1 * * *` fires
//   at 01:30 EDT, not again at 01:30 EST); a schedule whose hour field repeats (`*/15 * * * *`, `0 * * * *`) keeps
//   firing in absolute time through both occurrences;
// - interval schedules keep their interval in absolute time through both transitions.
// cron-parser 5.10 implements this for one-hour transitions when iterated from before the transition. We correct it
// where it does not (each case has a vector in test/dst.test.ts):
// 1. Started between the two occurrences of a repeated time (e.g. a worker claims `30 1 * * *` late, at 01:10 EST),
//    it returns the second occurrence (01:30 EST), so the job would fire twice that day. We drop a candidate that the
//    iteration from before the first occurrence does not produce.
// 2. With a gap that is not one hour (Australia/Lord_Howe moves by 30 minutes), it skips the day (`15 2 * * *` on
//    2026-10-04) or fires at a time the expression never names (03:00 for `0 2 * * *`). We compute the shifted slot
//    of a time inside the gap ourselves, and drop candidates whose local time does not match the expression.

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const formatters = new Map<string, Intl.DateTimeFormat>();

/** The local wall-clock time of `ms` in `tz`, expressed as if it were UTC (milliseconds). */
function wallMs(tz: string, ms: number): number {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: tz,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(tz, f);
  }
  const p: Record<string, number> = {};
  for (const part of f.formatToParts(new Date(ms))) if (part.type !== "literal") p[part.type] = Number(part.value);
  return Date.UTC(p.year ?? 1970, (p.month ?? 1) - 1, p.day ?? 1, p.hour ?? 0, p.minute ?? 0, p.second ?? 0) + (ms % 1000 + 1000) % 1000;
}

const offsetMs = (tz: string, ms: number) => wallMs(tz, ms) - ms;

interface Transition {
  /** First instant with the new offset. */
  at: number;
  before: number;
  after: number;
}

/**
 * DST transitions in (lo, hi], found by sampling once a week and bisecting to the second (no zone has had two
 * transitions within a week since the 1940s).
 */
function transitionsBetween(tz: string, lo: number, hi: number): Transition[] {
  const out: Transition[] = [];
  let a = lo;
  let offA = offsetMs(tz, a);
  while (a < hi) {
    const b = Math.min(hi, a + 7 * DAY);
    const offB = offsetMs(tz, b);
    if (offB !== offA) {
      let l = a;
      let h = b;
      while (h - l > 1000) {
        const mid = l + Math.floor((h - l) / 2000) * 1000;
        if (offsetMs(tz, mid) === offA) l = mid;
        else h = mid;
      }
      out.push({ at: h, before: offA, after: offB });
    }
    a = b;
    offA = offB;
  }
  return out;
}

function rawNext(expression: string, tz: string, after: number): number {
  return CronExpressionParser.parse(expression, { tz, currentDate: new Date(after) }).next().toDate().getTime();
}

/** Whether the expression names this wall-clock time (the time taken as UTC). */
const matchesWall = (expression: string, wall: number) => rawNext(expression, "UTC", wall - 1) === wall;

/** Correction 1: `c` repeats a wall time that first occurred `shift` earlier; keep it only if cron-parser would. */
function isDroppedRepeat(expression: string, tz: string, c: number, shift: number): boolean {
  const first = c - shift;
  let v = first;
  // Iterating from the first occurrence: reaching `c` (or passing many slots on the way) means it is kept.
  for (let i = 0; i < 8; i++) {
    v = rawNext(expression, tz, v);
    if (v >= c) return v !== c;
  }
  return false;
}

/** The first fire time strictly after `after` (ms), under the DST policy above. */
function nextAfterMs(expression: string, tz: string, after: number): number {
  let from = after;
  for (let guard = 0; guard < 64; guard++) {
    const c = rawNext(expression, tz, from);
    const transitions = transitionsBetween(tz, from - 3 * HOUR, c);
    if (transitions.length === 0) return c;
    let shifted: number | null = null;
    let valid = matchesWall(expression, wallMs(tz, c));
    for (const t of transitions) {
      const jump = t.after - t.before;
      if (jump > 0) {
        // A gap: local times [gapStart, gapStart + jump) do not exist; such a slot fires at t.at + (its offset into the gap).
        const gapStart = t.at + t.before;
        const m = rawNext(expression, "UTC", Math.max(gapStart - 1, gapStart + (after - t.at)));
        if (m < gapStart + jump) {
          const at = t.at + (m - gapStart);
          if (at > after && (shifted === null || at < shifted)) shifted = at;
        }
      } else if (valid && c >= t.at && c < t.at - jump) {
        valid = !isDroppedRepeat(expression, tz, c, -jump);
      }
    }
    if (valid) return shifted !== null && shifted < c ? shifted : c;
    if (shifted !== null && shifted <= c) return shifted;
    from = c;
  }
  throw new Error(`cannot compute the next run of "${expression}" in ${tz}`);
}

/**
 * The first `count` fire times strictly after `after`, in absolute time.
 * The expression must already have passed `checkSchedule`.
 */
export function nextRuns(expression: string, timezone: string, after: Date, count: number): Date[] {
  const norm = normalizeCron(expression);
  if (!norm.ok) throw new Error(`invalid cron expression: ${norm.message}`);
  const out: Date[] = [];
  let at = after.getTime();
  for (let i = 0; i < count; i++) {
    at = nextAfterMs(norm.expression, timezone, at);
    out.push(new Date(at));
  }
  return out;
}

/** The first fire time strictly after `after`. */
export function nextRunAfter(expression: string, timezone: string, after: Date): Date {
  return nextRuns(expression, timezone, after, 1)[0] as Date;
}
