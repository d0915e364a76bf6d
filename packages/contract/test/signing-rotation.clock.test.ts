// The signing-secret rotation window is kept on the database clock, whatever the API process' clock says: the
// process clock is shifted (Date only, as a skewed host would be) while rotating and reading the job.
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createTestDatabase, type TestDatabase } from "@btick/db/testing";

import { createTenantWithKey } from "../src/testing.ts";
import { callerFor, validJob } from "./helpers.ts";

let db: TestDatabase;
let api: Awaited<ReturnType<typeof callerFor>>;

beforeAll(async () => {
  db = await createTestDatabase();
  api = await callerFor(db.prisma, (await createTenantWithKey(db.prisma)).rawKey);
});
afterAll(async () => {
  await db.drop();
});

/** Runs `fn` with `Date.now()` and `new Date()` shifted by `shiftMs` (dates built from a value are unchanged). */
async function withProcessClockShifted<T>(shiftMs: number, fn: () => Promise<T>): Promise<T> {
  const RealDate = Date;
  class ShiftedDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(RealDate.now() + shiftMs);
      else super(...(args as [number, number]));
    }
    static override now(): number {
      return RealDate.now() + shiftMs;
    }
  }
  globalThis.Date = ShiftedDate as DateConstructor;
  try {
    return await fn();
  } finally {
    globalThis.Date = RealDate;
  }
}

async function dbNow(): Promise<Date> {
  const rows = await db.prisma.$queryRaw<{ now: Date }[]>`select now() as now`;
  return (rows[0] as { now: Date }).now;
}

const HOUR = 3600_000;
const TTL_SECONDS = 3600;

describe("signing-secret rotation window", () => {
  for (const shiftMs of [48 * HOUR, -48 * HOUR]) {
    it(`ends ttl after the database's now() with the process clock ${shiftMs > 0 ? "ahead" : "behind"} by 48 h`, async () => {
      const { job } = await api.jobs.create(validJob);
      const before = await dbNow();
      const { rotated, read } = await withProcessClockShifted(shiftMs, async () => {
        const rotated = await api.jobs.rotateSigningSecret({ jobId: job.id, previous_secret_expires_in_seconds: TTL_SECONDS });
        const read = await api.jobs.get({ jobId: job.id });
        return { rotated, read };
      });
      const after = await dbNow();

      const rows = await db.prisma.$queryRaw<{ expires_at: Date; updated_at: Date }[]>`
select signing_secret_previous_expires_at as expires_at, updated_at from jobs where id = ${job.id}::uuid`;
      const row = rows[0] as { expires_at: Date; updated_at: Date };
      // Written by one statement on the database clock: now() + ttl, with updated_at = that same now().
      expect(row.expires_at.getTime() - row.updated_at.getTime()).toBe(TTL_SECONDS * 1000);
      expect(row.updated_at.getTime()).toBeGreaterThanOrEqual(before.getTime());
      expect(row.updated_at.getTime()).toBeLessThanOrEqual(after.getTime());
      // Shown while the window is open by the database clock, in the rotation's answer and on a later read.
      expect(rotated.job.signing_secret_previous_expires_at).toBe(row.expires_at.toISOString());
      expect(rotated.job.updated_at).toBe(row.updated_at.toISOString());
      expect(read.job.signing_secret_previous_expires_at).toBe(row.expires_at.toISOString());
    });
  }

  it("is not shown once the database clock has passed it", async () => {
    const { job } = await api.jobs.create(validJob);
    await api.jobs.rotateSigningSecret({ jobId: job.id, previous_secret_expires_in_seconds: TTL_SECONDS });
    await db.prisma.$executeRaw`update jobs set signing_secret_previous_expires_at = now() - interval '1 second' where id = ${job.id}::uuid`;
    // The process clock 48 h behind would still see the window open.
    const read = await withProcessClockShifted(-48 * HOUR, () => api.jobs.get({ jobId: job.id }));
    expect(read.job.signing_secret_previous_expires_at).toBeNull();
  });

  it("ttl 0 drops the previous secret at once", async () => {
    const { job } = await api.jobs.create(validJob);
    const { job: rotated } = await api.jobs.rotateSigningSecret({ jobId: job.id, previous_secret_expires_in_seconds: 0 });
    expect(rotated.signing_secret_previous_expires_at).toBeNull();
    const row = await db.prisma.job.findUniqueOrThrow({ where: { id: job.id } });
    expect(row.signingSecretPrevious).toBeNull();
    expect(row.signingSecretPreviousExpiresAt).toBeNull();
  });
});
