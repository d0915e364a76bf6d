// While the database is down the worker says so once, concisely, and once more when it is back; the repeated
// failures in between (and their stacks) are logged at debug level only.
import { createPrismaClient } from "@btick/db";
import { describe, expect, it } from "vitest";

import { describeDbError } from "../src/dbOutage.ts";
import { captureLogger, createJob, sleep, startTcpProxy, useTestEnv } from "./helpers.ts";

const env = useTestEnv();

async function until(check: () => boolean): Promise<void> {
  while (!check()) await sleep(20);
}

describe("a database outage", () => {
  it("is one ERROR line without a stack, then one 'database reachable again'; the worker carries on", async () => {
    const proxy = await startTcpProxy(env.tdb.url);
    const db = createPrismaClient({ connectionString: proxy.url, max: 4 });
    try {
      const { logger, lines } = captureLogger();
      const worker = await env.makeWorkerOn(db, { pollIntervalMs: 100 }, { logger, listenUrl: proxy.url });
      await worker.start();
      await until(() => worker.lastTickAt !== null);
      await proxy.cut();
      // Many failed claims (one every 100 ms at most).
      await until(() => lines.filter((l) => l.msg === "database operation failed: claim").length >= 5);
      await proxy.restore();
      await until(() => lines.some((l) => l.msg === "database reachable again"));
      await createJob(env.db, env.tenantId, { url: env.target.url });
      await env.target.waitForRequests(1, 20_000);

      const errors = lines.filter((l) => (l.level as number) >= 50);
      expect(errors).toHaveLength(1);
      expect(errors[0]?.msg).toMatch(/^database unavailable \(\w[\w -]* failed: \S.*\); retrying, further failures are logged at debug level$/);
      // The code when there is one (P1001, ECONNREFUSED…); a cut connection has only its message.
      expect(errors[0]).toHaveProperty("error_code");
      expect(errors[0]?.error).toEqual(expect.stringMatching(/\S/));
      expect(JSON.stringify(errors[0])).not.toMatch(/stack|\\n/);
      // The stacks are still there, at debug level.
      expect(lines.filter((l) => l.level === 20 && (l.err as { stack?: string } | undefined)?.stack).length).toBeGreaterThanOrEqual(5);
      const back = lines.filter((l) => l.msg === "database reachable again");
      expect(back).toHaveLength(1);
      expect(back[0]?.failures).toBeGreaterThanOrEqual(5);
      // The LISTEN connection's loss is one warning too, however many reconnects fail.
      expect(lines.filter((l) => l.level === 40)).toHaveLength(1);
      await worker.stop();
    } finally {
      await db.$disconnect();
      await proxy.close();
    }
  });

  it("describeDbError keeps the code and the gist of Prisma's message", async () => {
    const proxy = await startTcpProxy(env.tdb.url);
    await proxy.cut();
    const db = createPrismaClient({ connectionString: proxy.url, max: 1 });
    try {
      const err = await db.$queryRaw`select 1`.then(
        () => null,
        (e: unknown) => e,
      );
      const { code, message } = describeDbError(err);
      expect(code).toMatch(/P\d{4}/);
      expect(message).toMatch(/^Can't reach database server at 127\.0\.0\.1:\d+$/);
    } finally {
      await db.$disconnect();
    }
  });
});
