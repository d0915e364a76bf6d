// The per-run log file is written line by line as the run goes: a worker killed mid-run leaves it behind.
import { readFile } from "node:fs/promises";
import { join } from "node:path";

import { describe, expect, it } from "vitest";

import { RunLog } from "../src/runLog.ts";
import { createJob, deferred, startWorkerProcess, tempDir, useTestEnv } from "./helpers.ts";

const env = useTestEnv();

describe("run log files", () => {
  it("a SIGKILLed worker leaves the file of its in-flight run, with every line up to the kill", async () => {
    const gate = deferred();
    env.target.handler = async (_req, res) => {
      await gate.promise;
      if (!res.destroyed) res.end("too late");
    };
    const job = await createJob(env.db, env.tenantId, { url: env.target.url, timeoutSeconds: 600 });
    const dir = await tempDir();
    const p = startWorkerProcess({ DATABASE_URL: env.tdb.url, WORKER_ID: "killed", WORKER_TASK_LOG_PATH: dir });
    try {
      await env.target.waitForRequests(1, 20_000);
    } finally {
      p.kill("SIGKILL");
      await p.exit;
      gate.resolve();
    }
    const run = await env.db.jobRun.findFirstOrThrow({ where: { jobId: job.id } });
    const lines = (await readFile(join(dir, `${run.id}.log`), "utf8")).trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\S+Z claimed scheduled run of job .* by killed /);
    expect(lines[1]).toMatch(/^\S+Z attempt 1 started$/);
  });

  it("appends each line at the end of the event-loop turn that wrote it, and reports a file it cannot write once", async () => {
    const dir = await tempDir();
    const log = new RunLog(dir, "r1", () => new Date("2030-01-01T00:00:00Z"));
    log.line("one");
    await new Promise((r) => setImmediate(r));
    expect(await readFile(join(dir, "r1.log"), "utf8")).toBe("2030-01-01T00:00:00.000Z one\n");
    log.line("two");
    log.line("three");
    await new Promise((r) => setImmediate(r));
    expect(await readFile(join(dir, "r1.log"), "utf8")).toBe(
      "2030-01-01T00:00:00.000Z one\n2030-01-01T00:00:00.000Z two\n2030-01-01T00:00:00.000Z three\n",
    );
    const errors: unknown[] = [];
    const broken = new RunLog(join(dir, "missing", "dir"), "r2", () => new Date(), (err) => errors.push(err));
    broken.line("a");
    await new Promise((r) => setImmediate(r));
    broken.line("b");
    await new Promise((r) => setImmediate(r));
    expect(errors).toHaveLength(1);
    expect(new RunLog(null, "r3", () => new Date()).path).toBeNull();
  });
});
