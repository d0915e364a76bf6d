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

let knownZones: Map<string, string> | null = null;

/**
 * The conventional spelling of a valid zone name typed in any case ("utc" → "UTC", "europe/berlin" →
 * "Europe/Berlin"), so the stored value matches what every other tool prints. Aliases are kept as given
 * (ICU would turn "Asia/Kolkata" into the older "Asia/Calcutta").
 */
export function normalizeTimeZone(tz: string): string {
  if (!isValidTimeZone(tz)) return tz;
  const resolved = new Intl.DateTimeFormat("en-US", { timeZone: tz }).resolvedOptions().timeZone;
  if (resolved.toLowerCase() === tz.toLowerCase()) return resolved;
  knownZones ??= new Map(Intl.supportedValuesOf("timeZone").map((z) => [z.toLowerCase(), z]));
  return knownZones.get(tz.toLowerCase()) ?? tz;
}
