// An independent reference for the DST policy, sharing no code with src/: it walks time step by step (a minute, or a
// second for 6-field expressions), reads the local wall clock from Intl, matches the expression with its own small
// cron matcher (numbers, `*`, ranges, steps and lists; no names, `L` or `#`), and applies the policy literally:
// - a matching wall time fires when it is first seen, and again on a repeat only when the hour field allows every hour;
// - when the wall clock jumps forward, every skipped wall time that matches fires at the jump plus its distance into
//   the skipped range (shifted forward by the gap); an instant fires once however many reasons it has.
// It is slow and obviously correct: the tests compare it with the engine over whole years and around transitions.

const formats = new Map<string, Intl.DateTimeFormat>();

/** Local wall-clock time of instant `ms` in `tz`, as milliseconds "as if UTC", read from Intl. */
function wallOf(tz: string, ms: number): number {
  let f = formats.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat("en-GB", {
      timeZone: tz,
      hourCycle: "h23",
      era: "short",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formats.set(tz, f);
  }
  const p: Record<string, string> = {};
  for (const part of f.formatToParts(new Date(ms))) p[part.type] = part.value;
  const d = new Date(0);
  d.setUTCFullYear(Number(p.year), Number(p.month) - 1, Number(p.day));
  d.setUTCHours(Number(p.hour), Number(p.minute), Number(p.second), 0);
  return d.getTime();
}

/** The wall clock of instants lo, lo + step, ... < hi, with each wall time's fields. */
export interface Walk {
  lo: number;
  step: number;
  walls: Float64Array;
  fields: Uint8Array[];
}

const DAY = 86_400_000;

/** Second, minute, hour, day of month, month, day of week of a wall time. */
const fieldsOf = (wall: number) => {
  const d = new Date(wall);
  return [d.getUTCSeconds(), d.getUTCMinutes(), d.getUTCHours(), d.getUTCDate(), d.getUTCMonth() + 1, d.getUTCDay()];
};

/**
 * Intl is asked once an hour and, where the offset differs between two such samples, at every step in between (no
 * zone changes its offset and back within an hour).
 */
export function walk(tz: string, lo: number, hi: number, step: number): Walk {
  const n = Math.ceil((hi - lo) / step);
  const walls = new Float64Array(n);
  const fields = Array.from({ length: 6 }, () => new Uint8Array(n));
  const every = Math.max(1, Math.round(3_600_000 / step));
  let prevIdx = 0;
  let prevOff = wallOf(tz, lo) - lo;
  walls[0] = lo + prevOff;
  for (let i = every; prevIdx < n - 1; i += every) {
    const idx = Math.min(i, n - 1);
    const t = lo + idx * step;
    const off = wallOf(tz, t) - t;
    for (let j = prevIdx + 1; j <= idx; j++) {
      const tj = lo + j * step;
      walls[j] = off === prevOff ? tj + off : wallOf(tz, tj);
    }
    prevIdx = idx;
    prevOff = off;
  }
  let day = NaN;
  let date: number[] = [];
  for (let j = 0; j < n; j++) {
    const wall = walls[j] as number;
    if (Math.floor(wall / DAY) !== day) {
      day = Math.floor(wall / DAY);
      date = fieldsOf(day * DAY);
    }
    const ms = wall - day * DAY;
    const f = [Math.floor(ms / 1000) % 60, Math.floor(ms / 60_000) % 60, Math.floor(ms / 3_600_000), ...date.slice(3)];
    for (let k = 0; k < 6; k++) (fields[k] as Uint8Array)[j] = f[k] as number;
  }
  return { lo, step, walls, fields };
}

function parseField(spec: string, min: number, max: number): boolean[] {
  const out: boolean[] = [];
  for (const part of spec.split(",")) {
    const [range = "", stepText] = part.split("/");
    const step = stepText === undefined ? 1 : Number(stepText);
    let lo: number;
    let hi: number;
    if (range === "*") [lo, hi] = [min, max];
    else if (range.includes("-")) [lo, hi] = range.split("-").map(Number) as [number, number];
    else [lo, hi] = [Number(range), stepText === undefined ? Number(range) : max];
    for (let v = lo; v <= hi; v += step) out[v] = true;
  }
  return out;
}

export interface Matcher {
  /** Whether the wall time with these fields matches: second, minute, hour, day of month, month, day of week. */
  matches(f: ArrayLike<number>): boolean;
  /** The same for step i of a walk. */
  matchesAt(w: Walk, i: number): boolean;
  everyHour: boolean;
  seconds: boolean;
}

/** A matcher for 5- or 6-field expressions; day-of-month and day-of-week both restricted match either. */
export function matcher(expr: string): Matcher {
  const parts = expr.split(" ");
  const seconds = parts.length === 6;
  const [sec, min, hour, dom, mon, dow] = (seconds ? parts : ["0", ...parts]) as [string, string, string, string, string, string];
  const S = parseField(sec, 0, 59);
  const M = parseField(min, 0, 59);
  const H = parseField(hour, 0, 23);
  const D = parseField(dom, 1, 31);
  const MO = parseField(mon, 1, 12);
  const W = parseField(dow, 0, 7);
  if (W[7]) W[0] = true;
  const domRestricted = dom !== "*";
  const dowRestricted = dow !== "*";
  const match = (s: number, mi: number, h: number, d: number, mo: number, wd: number) => {
    if (!M[mi] || !H[h] || !S[s] || !MO[mo]) return false;
    const domOk = D[d] === true;
    const dowOk = W[wd] === true;
    if (domRestricted && dowRestricted) return domOk || dowOk;
    return (!domRestricted || domOk) && (!dowRestricted || dowOk);
  };
  return {
    everyHour: H.filter(Boolean).length === 24,
    seconds,
    matches(f) {
      return match(f[0] as number, f[1] as number, f[2] as number, f[3] as number, f[4] as number, f[5] as number);
    },
    matchesAt(w, i) {
      const f = w.fields as [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array];
      if (!M[f[1][i] as number]) return false;
      return match(f[0][i] as number, f[1][i] as number, f[2][i] as number, f[3][i] as number, f[4][i] as number, f[5][i] as number);
    },
  };
}

/**
 * A walk wide enough for expectedFires over [from, to): it starts `margin` early, to see the first occurrence of a
 * repeated time. A step longer than a minute is exact only for expressions and transitions on multiples of it.
 */
export const walkFor = (tz: string, from: number, to: number, step = 60_000, margin = DAY) =>
  walk(tz, from - margin, to + margin, step);

/** Fire times in [from, to) under the policy. */
export function expectedFires(expr: string, w: Walk, from: number, to: number): number[] {
  const m = matcher(expr);
  const { lo, step, walls } = w;
  const fires = new Set<number>();
  // The clock only goes back on a repeat: a wall time not after the latest one seen has been seen before.
  let latest = -Infinity;
  for (let i = 0; i < walls.length - 1; i++) {
    const wall = walls[i] as number;
    const t = lo + i * step;
    if (m.matchesAt(w, i) && (wall > latest || m.everyHour)) fires.add(t);
    latest = Math.max(latest, wall);
    const next = walls[i + 1] as number;
    // Skipped wall times (wall, next): each fires at the jump plus its distance into the skipped range.
    for (let k = wall + step; k < next; k += step) if (m.matches(fieldsOf(k))) fires.add(t + step + (k - (wall + step)));
  }
  return [...fires].filter((x) => x >= from && x < to).sort((a, b) => a - b);
}

/** Instants in [lo, hi) at which the zone's offset changes, found from Intl (daily samples, then hour and minute). */
export function offsetChanges(tz: string, lo: number, hi: number): number[] {
  const off = (t: number) => wallOf(tz, t) - t;
  const out: number[] = [];
  const refine = (a: number, b: number, unit: number): number => {
    const offA = off(a);
    for (let t = a + unit; t <= b; t += unit) if (off(t) !== offA) return t;
    return b;
  };
  let offT = off(lo);
  for (let t = lo; t < hi; t += DAY) {
    const end = Math.min(t + DAY, hi);
    const offEnd = off(end);
    if (offT !== offEnd) {
      const h = refine(t, end, 3_600_000);
      const m = refine(h - 3_600_000, h, 60_000);
      out.push(refine(m - 60_000, m, 1000));
    }
    offT = offEnd;
  }
  return out;
}
