// Shared test plumbing: a caller authenticated with a raw API key, and error inspection.
import { TRPCError } from "@trpc/server";
import { expect } from "vitest";

import type { Db } from "@btick/db";

import { createCaller, createContext, envelopeFromTRPCError, type ErrorEnvelope } from "../src/index.ts";

export async function callerFor(db: Db, rawKey: string) {
  return createCaller(await createContext({ db, authorization: `Bearer ${rawKey}` }));
}

/** Awaits a promise that must reject with a TRPCError; returns the error and its REST envelope. */
export async function rejection(p: Promise<unknown>): Promise<{ error: TRPCError; envelope: ErrorEnvelope }> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(TRPCError);
    return { error: err as TRPCError, envelope: envelopeFromTRPCError(err as TRPCError) };
  }
  throw new Error("expected the call to fail");
}

export const validJob = {
  name: "ping",
  method: "POST",
  url: "https://example.com/hook",
  cron_expression: "*/5 * * * *",
};
