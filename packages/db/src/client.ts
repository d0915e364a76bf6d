import { PrismaPg } from "@prisma/adapter-pg";

import { PrismaClient } from "./generated/prisma/client.ts";

export interface DbOptions {
  connectionString: string;
  /** Size of the pg pool behind the client. */
  max?: number;
  /** application_name shown in pg_stat_activity (lets operators and tests find a process's sessions). */
  applicationName?: string;
  /**
   * Bound on every database call, in milliseconds; 0 or unset: none. The server cancels a statement running longer
   * (`statement_timeout`, e.g. one waiting for a lock); the client gives up on a server that stops answering
   * altogether (a little later, so the server's cancel normally wins and the connection stays usable), and on
   * opening a connection or waiting for a free one in the pool. See `isDatabaseTimeout`.
   */
  queryTimeoutMs?: number;
}

/** How much longer the client waits than the server-side statement_timeout before it gives up on the server. */
const CLIENT_TIMEOUT_MARGIN_MS = 1000;

export function createPrismaClient(options: DbOptions): PrismaClient {
  const timeout = options.queryTimeoutMs ?? 0;
  const adapter = new PrismaPg({
    connectionString: options.connectionString,
    max: options.max ?? 10,
    application_name: options.applicationName,
    ...(timeout > 0
      ? { statement_timeout: timeout, query_timeout: timeout + CLIENT_TIMEOUT_MARGIN_MS, connectionTimeoutMillis: timeout }
      : {}),
  });
  return new PrismaClient({ adapter });
}

export type Db = PrismaClient;

// What pg and Prisma raise when the bounds above are hit (pg's errors carry no code, only these messages).
const CLIENT_TIMEOUT_MESSAGES = new Set([
  "Query read timeout",
  "Connection terminated due to connection timeout",
  "timeout exceeded when trying to connect",
]);
/** query_canceled: statement_timeout (nothing else here cancels statements). */
const STATEMENT_TIMEOUT_CODE = "57014";
/** Prisma: an interactive transaction could not start, or ran out of time. */
const TRANSACTION_TIMEOUT_CODE = "P2028";

/** True when `err` is a database call that hit its time bound (see DbOptions.queryTimeoutMs): busy or stuck, not a bug. */
export function isDatabaseTimeout(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const e = err as { code?: unknown; message?: unknown; meta?: { driverAdapterError?: { cause?: { originalCode?: unknown } } } };
  if (e.code === TRANSACTION_TIMEOUT_CODE) return true;
  if (e.meta?.driverAdapterError?.cause?.originalCode === STATEMENT_TIMEOUT_CODE) return true;
  return err instanceof Error && CLIENT_TIMEOUT_MESSAGES.has(err.message);
}
