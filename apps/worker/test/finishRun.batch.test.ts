// Batched completions: one statement for many runs, the lease fence still holds per row.
import { createTestDatabase, type TestDatabase } from "@btick/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { finishRun, finishRuns, type FinishRunArgs } from "../src/sql/finishRun.ts";
import { startAttempts } from "../src/sql/startAttempt.ts";
import type { RunResult } from "../src/types.ts";
import { createJob, createTenant } from "./helpers.ts";

let tdb: TestDatabase;
let tenantId: string;

beforeAll(async () => {
  tdb = await createTestDatabase();
  tenantId = await createTenant(tdb.prisma);
});
afterAll(async () => {
  await tdb.drop();
});

async function runningRuns(count: number, workerId: string): Promise<string[]> {
  const job = await createJob(tdb.prisma, tenantId, { url: "http://x", nextRunAt: null });
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const run = await tdb.prisma.jobRun.create({
      data: {
        jobId: job.id,
        tenantId,
        scheduledFor: new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
        status: "running",
        maxAttempts: 1,
        requestMethod: "POST",
        requestUrl: "http://x",
        workerId,
        leaseExpiresAt: new Date(Date.now() + 60_000),
      },
    });
    ids.push(run.id);
  }
  return ids;
}

function result(i: number): RunResult {
  const startedAt = new Date();
  return {
    status: i % 2 === 0 ? "success" : "failed",
    attemptNumber: 1,
    statusCode: i % 2 === 0 ? 200 : 500,
    responseHeaders: { "x-n": [String(i)] },
    responseBody: `body ${i} with "quotes", {braces} and \\ backslash`,
    responseBodyTruncated: false,
    responseBodyBytes: 10,
    responseBodyBytesCapped: i === 2,
    errorMessage: i % 2 === 0 ? null : "received non-2xx status code 500",
    attempts: [
      { attemptNumber: 1, outcome: i % 2 === 0 ? "success" : "http_error", statusCode: i % 2 === 0 ? 200 : 500, errorMessage: null, startedAt, finishedAt: startedAt, durationMs: 3 },
    ],
  };
}

describe("finishRuns", () => {
  it("writes every owned run and its attempts in one statement, and skips runs taken over, lost or finished", async () => {
    const ids = await runningRuns(6, "me");
    await tdb.prisma.jobRun.update({ where: { id: ids[1] }, data: { workerId: "other" } });
    await tdb.prisma.jobRun.update({ where: { id: ids[3] }, data: { status: "lost" } });
    const items: FinishRunArgs[] = ids.map((runId, i) => ({ runId, workerId: "me", result: result(i) }));
    expect(await finishRuns(tdb.prisma, items)).toEqual([true, false, true, false, true, true]);
    const rows = await tdb.prisma.jobRun.findMany({ where: { id: { in: ids } }, include: { attempts: true } });
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get(ids[0] as string)).toMatchObject({ status: "success", responseStatusCode: 200, responseHeaders: { "x-n": ["0"] } });
    expect(byId.get(ids[0] as string)?.responseBody).toBe('body 0 with "quotes", {braces} and \\ backslash');
    expect(rows.filter((r) => r.responseBodyBytesCapped).map((r) => r.id)).toEqual([ids[2]]);
    expect(byId.get(ids[5] as string)).toMatchObject({ status: "failed", errorMessage: "received non-2xx status code 500" });
    expect(byId.get(ids[1] as string)).toMatchObject({ status: "running", workerId: "other", finishedAt: null });
    expect(byId.get(ids[1] as string)?.attempts).toHaveLength(0);
    expect(byId.get(ids[3] as string)).toMatchObject({ status: "lost" });
    expect(byId.get(ids[3] as string)?.attempts).toHaveLength(0);
    expect(rows.filter((r) => r.attempts.length === 1)).toHaveLength(4);
    // A second write of the same runs is fenced off: they are no longer running.
    expect(await finishRuns(tdb.prisma, items.slice(0, 1))).toEqual([false]);
  });

  it("coalesces concurrent single finishRun calls and answers each with its own fence", async () => {
    const ids = await runningRuns(40, "me");
    await tdb.prisma.jobRun.update({ where: { id: ids[7] }, data: { workerId: "other" } });
    const answers = await Promise.all(ids.map((runId, i) => finishRun(tdb.prisma, { runId, workerId: "me", result: result(i) })));
    expect(answers.filter((a) => !a)).toHaveLength(1);
    expect(answers[7]).toBe(false);
    expect(await tdb.prisma.jobRun.count({ where: { id: { in: ids }, status: { not: "running" } } })).toBe(39);
  });

  it("startAttempts is fenced per row", async () => {
    const ids = await runningRuns(3, "me");
    await tdb.prisma.jobRun.update({ where: { id: ids[2] }, data: { workerId: "other" } });
    const owned = await startAttempts(tdb.prisma, ids.map((runId) => ({ runId, workerId: "me", attemptNumber: 2 })));
    expect(owned).toEqual([true, true, false]);
    const rows = await tdb.prisma.jobRun.findMany({ where: { id: { in: ids } }, orderBy: { scheduledFor: "asc" } });
    expect(rows.map((r) => r.attemptNumber)).toEqual([2, 2, 0]);
  });
});
