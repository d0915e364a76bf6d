// createPrismaClient's time bound: a statement running past queryTimeoutMs is cancelled and reported as a timeout
// (isDatabaseTimeout), the connection stays usable, and other database errors are not mistaken for timeouts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createPrismaClient, isDatabaseTimeout, type Db } from "../src/client.ts";
import { createEmptyDatabase } from "../src/testing.ts";

let database: Awaited<ReturnType<typeof createEmptyDatabase>>;
let db: Db;

beforeAll(async () => {
  database = await createEmptyDatabase("btick_db_client");
  db = createPrismaClient({ connectionString: database.url, max: 1, queryTimeoutMs: 300 });
});
afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
});

const failure = (p: Promise<unknown>) => p.then(() => expect.unreachable("expected the query to fail"), (err: unknown) => err);

describe("queryTimeoutMs", () => {
  it("cancels a statement that runs too long, as a timeout, and the connection serves the next query", async () => {
    const err = await failure(db.$queryRaw`select pg_sleep(5)`);
    expect(isDatabaseTimeout(err)).toBe(true);
    expect(await db.$queryRaw`select 1 as one`).toEqual([{ one: 1 }]);
  });

  it("leaves other errors alone", async () => {
    expect(isDatabaseTimeout(await failure(db.$queryRaw`select 1 / 0`))).toBe(false);
    expect(isDatabaseTimeout(new Error("boom"))).toBe(false);
    expect(isDatabaseTimeout(null)).toBe(false);
  });

  it("is off unless asked for", async () => {
    const unbounded = createPrismaClient({ connectionString: database.url, max: 1 });
    try {
      expect(await unbounded.$queryRaw`select pg_sleep(0.5)::text as slept`).toEqual([{ slept: "" }]);
    } finally {
      await unbounded.$disconnect();
    }
  });
});
