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
    const it = CronExpressionParser.parse(norm.expression, { tz: timezone, currentDate: now, strict: false });
    return { ok: true, expression: norm.expression, next: it.next().toDate() };
  } catch (err) {
    const msg = (err as Error).message;
    if (/day of month/i.test(msg)) return { ok: false, field: "cron_expression", message: "never fires: no month has that day" };
    if (/Out of valid range|Invalid explicit|loop/i.test(msg)) return { ok: false, field: "cron_expression", message: "never fires" };
    return { ok: false, field: "cron_expression", message: `invalid cron expression: ${msg}` };
  }
}

/**
 * The first `count` fire times strictly after `after`, in absolute time.
 * The expression must already have passed `checkSchedule`.
 */
export function nextRuns(expression: string, timezone: string, after: Date, count: number): Date[] {
  const norm = normalizeCron(expression);
  if (!norm.ok) throw new Error(`invalid cron expression: ${norm.message}`);
  const it = CronExpressionParser.parse(norm.expression, { tz: timezone, currentDate: after });
  const out: Date[] = [];
  for (let i = 0; i < count; i++) out.push(it.next().toDate());
  return out;
}

/** The first fire time strictly after `after`. */
export function nextRunAfter(expression: string, timezone: string, after: Date): Date {
  return nextRuns(expression, timezone, after, 1)[0] as Date;
}
