// Small database helpers shared by the services.
import { TRPCError } from "@trpc/server";

import { Prisma, type Db } from "@btick/db";

/**
 * The database clock (schedules are computed against it, like the worker does). The statement's start rather than
 * the transaction's (`now()`): in a transaction that waited for a row lock, that is the time after the wait.
 */
export async function dbNow(db: Db | Prisma.TransactionClient): Promise<Date> {
  const rows = await db.$queryRaw<{ now: Date }[]>`select statement_timestamp() as now`;
  const now = rows[0]?.now;
  if (!now) throw new Error("select now() returned no row");
  return now;
}

/** Wakes sleeping workers so new or resumed work is picked up at once. Best effort: workers also poll. */
export async function wakeWorkers(db: Db): Promise<void> {
  try {
    await db.$executeRaw`select pg_notify('btick_wakeup', '')`;
  } catch {
    // A missed wake-up only delays work until the next poll.
  }
}

export function notFound(what: "job" | "run" | "api key"): TRPCError {
  return new TRPCError({ code: "NOT_FOUND", message: `${what} not found` });
}

export function isRecordNotFound(err: unknown): boolean {
  return err instanceof Prisma.PrismaClientKnownRequestError && err.code === "P2025";
}

export function isUniqueViolation(err: unknown): boolean {
  return err instanceof Prisma.PrismaClientKnownRequestError && err.code === "P2002";
}
