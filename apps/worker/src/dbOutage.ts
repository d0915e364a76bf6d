// Database failures as an operator wants to read them: while the database is down, the claim loop, the heartbeat,
// the sweeper and the cleanup all fail every few seconds. One concise ERROR line opens a failure streak (what failed,
// the error code and message), one INFO line closes it ("database reachable again", with how long and how many
// failures); each failure in between, with its full stack, is logged at debug only.
import type { Logger } from "pino";

export interface DbErrorSummary {
  /** Prisma's code (P1001, P2010, …), the driver's kind (DatabaseNotReachable) or the socket's (ECONNREFUSED). */
  code: string | null;
  /** One line, without Prisma's invocation preamble. */
  message: string;
}

/** The gist of a database error, on one line. */
export function describeDbError(err: unknown): DbErrorSummary {
  if (!(err instanceof Error)) return { code: null, message: String(err).split("\n")[0] ?? "" };
  const e = err as Error & { code?: unknown; meta?: { driverAdapterError?: { cause?: { kind?: unknown } } } };
  const kind = e.meta?.driverAdapterError?.cause?.kind;
  const codes = [typeof e.code === "string" ? e.code : null, typeof kind === "string" ? kind : null].filter((c) => c !== null);
  const lines = e.message.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  // Prisma: "Invalid `prisma.$queryRaw()` invocation:" … "Raw query failed. Code: `N/A`. Message: `Can't reach …`".
  const last = lines.at(-1) ?? e.name;
  const quoted = /Message: `(.*)`$/.exec(last);
  const message = (quoted?.[1] ?? last).slice(0, 300);
  return { code: codes.length > 0 ? codes.join(" ") : null, message };
}

export class DbOutage {
  private streak: { since: number; failures: number } | null = null;

  constructor(private readonly logger: Logger) {}

  /** Whether the last database operation failed. */
  get down(): boolean {
    return this.streak !== null;
  }

  /** A database operation (`what`: "claim", "heartbeat", …) failed. */
  failed(what: string, err: unknown): void {
    this.logger.debug({ err, operation: what }, `database operation failed: ${what}`);
    if (this.streak) {
      this.streak.failures++;
      return;
    }
    this.streak = { since: performance.now(), failures: 1 };
    const { code, message } = describeDbError(err);
    this.logger.error(
      { operation: what, error_code: code, error: message },
      `database unavailable (${what} failed: ${code ? `${code} ` : ""}${message}); retrying, further failures are logged at debug level`,
    );
  }

  /** A database operation succeeded: ends a failure streak. */
  ok(): void {
    if (!this.streak) return;
    const { since, failures } = this.streak;
    this.streak = null;
    this.logger.info({ failures, down_ms: Math.round(performance.now() - since) }, "database reachable again");
  }
}
