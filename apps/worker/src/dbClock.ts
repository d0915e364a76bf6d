// The database's clock, as seen from this process. PostgreSQL's clock is the only clock (README "Scheduling
// semantics"): timestamps the worker writes or sends (attempt started_at/finished_at, run log lines, webhook-timestamp,
// the signing-secret rotation window, Retry-After dates) are taken from here, never from Date.
//
// Every claim reads clock_timestamp() along with its rows; the sample is anchored to the middle of that statement's
// round trip on the monotonic performance clock, so the process clock (however wrong, or changed while running) plays
// no part. The anchor with the shortest round trip wins, unless it is more than a minute old.

const MAX_ANCHOR_AGE_MS = 60_000;

export class DbClock {
  private anchorDbMs: number | null = null;
  private anchorPerf = 0;
  private anchorRtt = Infinity;

  /** Whether a database time has been observed yet (before that, now() falls back to the process clock). */
  get synced(): boolean {
    return this.anchorDbMs !== null;
  }

  /**
   * Records a database timestamp read by a statement sent at `sentPerf` and answered at `receivedPerf`
   * (performance.now() values).
   */
  observe(dbTime: Date, sentPerf: number, receivedPerf: number): void {
    const rtt = Math.max(0, receivedPerf - sentPerf);
    const stale = receivedPerf - this.anchorPerf > MAX_ANCHOR_AGE_MS;
    if (this.anchorDbMs !== null && !stale && rtt > this.anchorRtt) return;
    this.anchorDbMs = dbTime.getTime();
    this.anchorPerf = (sentPerf + receivedPerf) / 2;
    this.anchorRtt = rtt;
  }

  /** Milliseconds since the epoch on the database's clock. */
  nowMs(): number {
    if (this.anchorDbMs === null) return Date.now();
    return this.anchorDbMs + (performance.now() - this.anchorPerf);
  }

  now(): Date {
    return new Date(Math.round(this.nowMs()));
  }
}

/** Runs a statement that returns a database timestamp and feeds it to the clock. */
export async function observed<T>(clock: DbClock | undefined, query: () => Promise<T>, dbTime: (result: T) => Date | null | undefined): Promise<T> {
  const sent = performance.now();
  const result = await query();
  const t = dbTime(result);
  if (clock && t) clock.observe(t, sent, performance.now());
  return result;
}
