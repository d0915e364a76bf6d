const cache = new Map<string, boolean>();

/** True for names the runtime's ICU knows as IANA zones (plus "UTC"). "Local" is not accepted: servers differ. */
export function isValidTimeZone(tz: string): boolean {
  if (tz === "" || tz !== tz.trim() || /^local$/i.test(tz)) return false;
  let ok = cache.get(tz);
  if (ok === undefined) {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: tz });
      ok = true;
    } catch {
      ok = false;
    }
    if (cache.size < 1000) cache.set(tz, ok);
  }
  return ok;
}
