// Fixed-window counters kept in this process, one window per key: the API's failed-authentication throttle and the
// web UI's sign-in, registration and password-change throttles. Expired windows are pruned once the map is large.
export class FixedWindowCounter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();

  constructor(
    /** Events allowed per key and window. */
    readonly limit: number,
    readonly windowMs: number,
    private readonly maxKeys = 10_000,
  ) {}

  /** Seconds until `key` may act again (its count has reached the limit), or 0. */
  blockedFor(key: string, now = Date.now()): number {
    const w = this.windows.get(key);
    if (!w || w.resetAt <= now || w.count < this.limit) return 0;
    return Math.max(1, Math.ceil((w.resetAt - now) / 1000));
  }

  /** Counts one event for `key`. */
  record(key: string, now = Date.now()): void {
    const w = this.windows.get(key);
    if (!w || w.resetAt <= now) {
      if (this.windows.size >= this.maxKeys) for (const [k, v] of this.windows) if (v.resetAt <= now) this.windows.delete(k);
      this.windows.set(key, { count: 1, resetAt: now + this.windowMs });
    } else {
      w.count++;
    }
  }

  /**
   * An attempt: refused (seconds to wait returned) once `limit` attempts were made in the window, otherwise counted
   * and allowed (0). Refused attempts are not counted, so the window is not extended by retrying.
   */
  attempt(key: string, now = Date.now()): number {
    const wait = this.blockedFor(key, now);
    if (wait === 0) this.record(key, now);
    return wait;
  }
}
