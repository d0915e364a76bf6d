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
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now.getTime());
}
