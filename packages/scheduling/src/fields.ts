// A cron expression compiled into lookup tables, and the search for the next wall-clock time it names.
//
// cron-parser parses the expression (syntax, names, ranges, steps, `L`, `#`, `?`); its own iteration is not used.
// Wall-clock times are written as milliseconds "as if UTC": Date.UTC(year, month - 1, day, hour, minute, second).
// They carry no time zone; src/cron.ts turns them into instants.
import { CronExpressionParser } from "cron-parser";

export interface CompiledCron {
  /** next[i] = the smallest allowed value >= i, or -1 (index 60 / 24 / 13 is always -1). */
  second: Int8Array;
  minute: Int8Array;
  hour: Int8Array;
  /** Indexed by month 1..12. */
  month: Int8Array;
  /** Every hour of the day is allowed: a repeated wall time (fall back) fires in both occurrences. */
  everyHour: boolean;
  /** Day rules, with cron-parser's semantics. */
  domBits: number;
  domLast: boolean;
  domRestricted: boolean;
  dowBits: number;
  dowNth: number;
  dowLastBits: number;
  dowRestricted: boolean;
  /** Memo of the last month's matching days. */
  maskKey: number;
  mask: number;
}

/** The Gregorian calendar repeats every 400 years: an expression with no match in that long never matches. */
export const SEARCH_YEARS = 401;

function nextTable(values: readonly number[], size: number): Int8Array {
  const t = new Int8Array(size + 1).fill(-1);
  const allowed = new Set(values);
  let next = -1;
  for (let i = size - 1; i >= 0; i--) {
    if (allowed.has(i)) next = i;
    t[i] = next;
  }
  return t;
}

const numbers = (values: readonly (number | string)[]) => values.filter((v): v is number => typeof v === "number");

/** Compiles a 5- or 6-field expression; throws cron-parser's error for an invalid one. */
export function compileCron(expression: string): CompiledCron {
  const f = CronExpressionParser.parse(expression, { strict: false }).fields;
  let domBits = 0;
  for (const d of numbers(f.dayOfMonth.values)) domBits |= 1 << d;
  let dowBits = 0;
  for (const d of numbers(f.dayOfWeek.values)) dowBits |= 1 << d % 7;
  // cron-parser: with an `nL` item, a day in the last 7 of the month matches if its weekday is the leading digit
  // of any item.
  let dowLastBits = 0;
  if (f.dayOfWeek.hasLastChar) for (const v of f.dayOfWeek.values) dowLastBits |= 1 << Number(String(v).charAt(0)) % 7;
  const hours = numbers(f.hour.values);
  return {
    second: nextTable(numbers(f.second.values), 60),
    minute: nextTable(numbers(f.minute.values), 60),
    hour: nextTable(hours, 24),
    month: nextTable(numbers(f.month.values), 13),
    everyHour: new Set(hours).size === 24,
    domBits,
    domLast: f.dayOfMonth.hasLastChar,
    domRestricted: !f.dayOfMonth.isWildcard,
    dowBits,
    dowNth: f.dayOfWeek.nthDay,
    dowLastBits,
    dowRestricted: !f.dayOfWeek.isWildcard,
    maskKey: -1,
    mask: 0,
  };
}

const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();

/** Bit d (1..31) set when day d of the month matches the day-of-month / day-of-week rules. */
function dayMask(c: CompiledCron, year: number, month: number): number {
  const key = year * 16 + month;
  if (c.maskKey === key) return c.mask;
  const dim = daysIn(year, month);
  const all = (2 ** (dim + 1) - 2) | 0;
  let mask = all;
  if (c.domRestricted || c.dowRestricted) {
    let dom = c.domBits & all;
    if (c.domLast) dom |= 1 << dim;
    let dow = 0;
    if (c.dowRestricted) {
      const wd1 = new Date(Date.UTC(year, month - 1, 1)).getUTCDay();
      for (let d = 1; d <= dim; d++) {
        const wd = (wd1 + d - 1) % 7;
        if (((c.dowBits >> wd) & 1 && (c.dowNth === 0 || Math.ceil(d / 7) === c.dowNth)) || ((c.dowLastBits >> wd) & 1 && d > dim - 7)) {
          dow |= 1 << d;
        }
      }
    }
    mask = c.domRestricted && c.dowRestricted ? dom | dow : c.domRestricted ? dom : dow;
  }
  c.maskKey = key;
  c.mask = mask;
  return mask;
}

const at = (t: Int8Array, i: number) => t[i] ?? -1;

/**
 * The first wall-clock time >= `from` (a whole second, as if UTC) that the expression names, or NaN when there is
 * none within SEARCH_YEARS.
 */
export function nextWall(c: CompiledCron, from: number): number {
  const d = new Date(from);
  let y = d.getUTCFullYear();
  let mo = d.getUTCMonth() + 1;
  let day = d.getUTCDate();
  let h = d.getUTCHours();
  let mi = d.getUTCMinutes();
  let s = d.getUTCSeconds();
  const lastYear = y + SEARCH_YEARS;
  for (;;) {
    if (y > lastYear) return NaN;
    const m2 = at(c.month, mo);
    if (m2 < 0) {
      y++;
      mo = 1;
      day = 1;
      h = mi = s = 0;
      continue;
    }
    if (m2 !== mo) {
      mo = m2;
      day = 1;
      h = mi = s = 0;
    }
    const free = day > 31 ? 0 : (dayMask(c, y, mo) >>> day) << day;
    if (free === 0) {
      mo++;
      day = 1;
      h = mi = s = 0;
      if (mo > 12) {
        y++;
        mo = 1;
      }
      continue;
    }
    const d2 = 31 - Math.clz32(free & -free);
    if (d2 !== day) {
      day = d2;
      h = mi = s = 0;
    }
    const h2 = at(c.hour, h);
    if (h2 < 0) {
      day++;
      h = mi = s = 0;
      continue;
    }
    if (h2 !== h) {
      h = h2;
      mi = s = 0;
    }
    const m3 = at(c.minute, mi);
    if (m3 < 0) {
      h++;
      mi = s = 0;
      if (h > 23) {
        day++;
        h = 0;
      }
      continue;
    }
    if (m3 !== mi) {
      mi = m3;
      s = 0;
    }
    const s2 = at(c.second, s);
    if (s2 < 0) {
      mi++;
      s = 0;
      if (mi > 59) {
        h++;
        mi = 0;
        if (h > 23) {
          day++;
          h = 0;
        }
      }
      continue;
    }
    return Date.UTC(y, mo - 1, day, h, mi, s2);
  }
}
