/**
 * Delay before retry number `retry` (1 = the first retry): exponential from `baseMs`, capped at `capMs`,
 * with "equal jitter" (half fixed, half random) so a burst of failing jobs does not retry in lockstep
 * while the delay still grows.
 */
export function retryDelayMs(retry: number, opts: { baseMs: number; capMs: number }, random: () => number = Math.random): number {
  const exp = Math.min(opts.capMs, opts.baseMs * 2 ** Math.min(retry - 1, 30));
  return Math.round(exp / 2 + random() * (exp / 2));
}

/**
 * Parses a Retry-After header (delta-seconds or an HTTP date) into milliseconds from `now`.
 * Returns undefined when absent or unparseable; never negative.
 */
export function parseRetryAfter(value: string | null | undefined, now: Date = new Date()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d{1,10}$/.test(v)) return Number(v) * 1000;
  // Only an HTTP-date (RFC 9110: "Sun, 06 Nov 1994 08:49:37 GMT"); Date.parse alone would read "-5" as a year.
  if (!/^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(v)) return undefined;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now.getTime());
}
