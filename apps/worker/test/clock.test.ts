// The database clock is the only clock: a worker process whose own clock is 3 minutes behind still writes and sends
// timestamps on the database's clock (attempts, run log lines, webhook-timestamp, Retry-After dates).
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { createCaller, createContext, DEFAULT_JOB_LIMITS } from "@btick/contract";
import { createTenantWithKey } from "@btick/contract/testing";
import { describe, expect, it } from "vitest";

import { DbClock } from "../src/dbClock.ts";
import { startWorkerProcess, tempDir, useTestEnv } from "./helpers.ts";

const env = useTestEnv();
const skewClock = fileURLToPath(new URL("./fixtures/skewClock.mjs", import.meta.url));

describe("DbClock", () => {
  it("follows the database's time on the monotonic clock, keeping the sample with the shortest round trip", () => {
    const clock = new DbClock();
    expect(clock.synced).toBe(false);
    const t = performance.now();
    clock.observe(new Date("2030-01-01T00:00:00.000Z"), t - 10, t - 8);
    // A later sample with a longer round trip does not replace the better one.
    clock.observe(new Date("2030-01-01T00:00:05.000Z"), t - 6, t);
    const now = clock.nowMs();
    const expected = Date.parse("2030-01-01T00:00:00.000Z") + (performance.now() - (t - 9));
    expect(Math.abs(now - expected)).toBeLessThan(1);
    expect(clock.synced).toBe(true);
  });
});

describe("a worker process with a skewed clock", () => {
  it("dates attempts, log lines, signatures and Retry-After waits on the database clock", async () => {
    const tenant = await createTenantWithKey(env.db);
    const api = createCaller(
      await createContext({
        db: env.db,
        authorization: `Bearer ${tenant.rawKey}`,
        limits: { ...DEFAULT_JOB_LIMITS, allowPrivateNetworks: true },
      }),
    );
    // First answer: 503, retry at an HTTP date 1 s from now (real clock). A worker reading its own clock (3 minutes
    // behind) would wait 3 minutes; on the database clock it waits about a second.
    env.target.handler = (_req, res, i) => {
      if (i === 0) {
        res.writeHead(503, { "retry-after": new Date(Date.now() + 1000).toUTCString() });
        res.end("later");
      } else res.end("ok");
    };
    const { job } = await api.jobs.create({
      name: "skewed",
      method: "POST",
      url: `${env.target.url}/hook`,
      cron_expression: "0 0 1 1 *",
      enabled: false,
      retry_max: 1,
    });
    await api.jobs.trigger({ jobId: job.id });
    const logDir = await tempDir();
    const p = startWorkerProcess(
      { DATABASE_URL: env.tdb.url, WORKER_ID: "skewed-worker", WORKER_TASK_LOG_PATH: logDir, SKEW_MS: String(-180_000), LOG_LEVEL: "info" },
      { preload: [skewClock] },
    );
    try {
      await p.waitFor(/"msg":"run finished"/, 25_000);
    } finally {
      p.kill("SIGTERM");
      await p.exit;
    }

    const run = await env.db.jobRun.findFirstOrThrow({ where: { jobId: job.id }, include: { attempts: { orderBy: { attemptNumber: "asc" } } } });
    expect(run).toMatchObject({ status: "success", attemptNumber: 2 });
    const [a1, a2] = run.attempts;
    const times = [run.startedAt, a1?.startedAt, a1?.finishedAt, a2?.startedAt, a2?.finishedAt, run.finishedAt].map((d) => d?.getTime() ?? NaN);
    // In order on one clock: the run's own timestamps come from PostgreSQL's now().
    expect(times).toEqual([...times].sort((x, y) => x - y));
    expect(times.every(Number.isFinite)).toBe(true);

    // Each request carried a webhook-timestamp on the real (database) clock, not 180 s behind.
    for (const req of env.target.requests) {
      expect(Math.abs(Number(req.headers["webhook-timestamp"]) * 1000 - req.at)).toBeLessThan(5000);
    }
    // The run log's lines are dated within the run.
    const text = await readFile(join(logDir, `${run.id}.log`), "utf8");
    for (const line of text.trim().split("\n")) {
      const at = Date.parse(line.slice(0, line.indexOf(" ")));
      expect(at).toBeGreaterThanOrEqual(run.startedAt.getTime() - 1000);
      expect(at).toBeLessThanOrEqual((run.finishedAt?.getTime() ?? 0) + 1000);
    }
  }, 60_000);
});
