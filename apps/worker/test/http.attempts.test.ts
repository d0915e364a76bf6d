// Retries, timeouts, redirects and response capture, end to end through runOnce against a local target.
import { readFile } from "node:fs/promises";
import { join } from "node:path";

import { describe, expect, it } from "vitest";

import { createJob, useTestEnv } from "./helpers.ts";

const env = useTestEnv();

async function runOne(jobInput: Parameters<typeof createJob>[2], workerOptions: Parameters<typeof env.makeWorker>[0] = {}) {
  const job = await createJob(env.db, env.tenantId, jobInput);
  const worker = await env.makeWorker(workerOptions);
  const summaries = await worker.runOnce();
  await worker.stop();
  const logDir = worker.options.taskLogPath as string;
  const run = await env.db.jobRun.findFirstOrThrow({
    where: { jobId: job.id },
    include: { attempts: { orderBy: { attemptNumber: "asc" } } },
  });
  const logText = await readFile(join(logDir, `${run.id}.log`), "utf8");
  return { job, run, summaries, logText };
}

describe("retries", () => {
  it("retries a 500 until success, recording every attempt and the backoff between them", async () => {
    env.target.handler = (_req, res, i) => {
      res.writeHead(i < 2 ? 500 : 200);
      res.end(i < 2 ? "boom" : "fine");
    };
    const { run, logText } = await runOne({ url: env.target.url, retryMax: 3 }, { retryBaseMs: 100, retryCapMs: 1000 });
    expect(env.target.requests).toHaveLength(3);
    expect(run).toMatchObject({ status: "success", attemptNumber: 3, maxAttempts: 4, responseStatusCode: 200, responseBody: "fine", errorMessage: null });
    expect(run.attempts.map((a) => [a.attemptNumber, a.outcome, a.responseStatusCode])).toEqual([
      [1, "http_error", 500],
      [2, "http_error", 500],
      [3, "success", 200],
    ]);
    expect(run.attempts[0]?.errorMessage).toBe("received non-2xx status code 500");
    // Equal-jitter backoff: retry 1 waits 50..100 ms, retry 2 waits 100..200 ms.
    const gap1 = (run.attempts[1]?.startedAt.getTime() ?? 0) - (run.attempts[0]?.finishedAt.getTime() ?? 0);
    const gap2 = (run.attempts[2]?.startedAt.getTime() ?? 0) - (run.attempts[1]?.finishedAt.getTime() ?? 0);
    expect(gap1).toBeGreaterThanOrEqual(45);
    expect(gap2).toBeGreaterThanOrEqual(95);
    // The backoff is also in the run's log file.
    expect(logText).toMatch(/attempt 1 will be retried in ([5-9]\d|100) ms/);
    expect(logText).toMatch(/attempt 2 will be retried in (\d{3}) ms/);
    expect(logText).toMatch(/finished: success after 3 attempt/);
    expect(env.target.requests.map((r) => r.headers["x-btick-attempt"])).toEqual(["1", "2", "3"]);
  });

  it("keeps idempotency headers identical across retries; only X-BTick-Attempt changes", async () => {
    env.target.handler = (_req, res) => {
      res.writeHead(503);
      res.end();
    };
    const { run } = await runOne({ url: env.target.url, retryMax: 2 });
    expect(env.target.requests).toHaveLength(3);
    const pick = (h: Record<string, unknown>) => ({
      key: h["idempotency-key"],
      job: h["x-btick-job-id"],
      run: h["x-btick-run-id"],
      slot: h["x-btick-scheduled-for"],
      ua: h["user-agent"],
    });
    const first = pick(env.target.requests[0]?.headers ?? {});
    expect(first.key).toBe(run.id);
    for (const r of env.target.requests) expect(pick(r.headers)).toEqual(first);
    expect(run).toMatchObject({ status: "failed", attemptNumber: 3, responseStatusCode: 503, errorMessage: "received non-2xx status code 503" });
  });

  it("honours Retry-After on 429", async () => {
    env.target.handler = (_req, res, i) => {
      if (i === 0) {
        res.writeHead(429, { "retry-after": "1" });
        res.end("slow down");
      } else res.end("ok");
    };
    const { run, logText } = await runOne({ url: env.target.url, retryMax: 1 }, { retryBaseMs: 10, retryCapMs: 20 });
    expect(logText).toContain("attempt 1 will be retried in 1000 ms (Retry-After: 1)");
    expect(run.status).toBe("success");
    expect(run.attempts.map((a) => a.responseStatusCode)).toEqual([429, 200]);
    const gap = (env.target.requests[1]?.at ?? 0) - (env.target.requests[0]?.at ?? 0);
    expect(gap).toBeGreaterThanOrEqual(950);
  });

  it("caps Retry-After", async () => {
    env.target.handler = (_req, res, i) => {
      res.writeHead(i === 0 ? 429 : 200, i === 0 ? { "retry-after": "3600" } : {});
      res.end();
    };
    const { run, logText } = await runOne({ url: env.target.url, retryMax: 1 }, { retryAfterCapMs: 50 });
    expect(run.status).toBe("success");
    expect(logText).toContain("attempt 1 will be retried in 50 ms (Retry-After: 3600)");
  });

  it("does not retry a 404", async () => {
    env.target.handler = (_req, res) => {
      res.writeHead(404, { "content-type": "application/json" });
      res.end('{"error":"nope"}');
    };
    const { run } = await runOne({ url: env.target.url, retryMax: 5 });
    expect(env.target.requests).toHaveLength(1);
    expect(run).toMatchObject({
      status: "failed",
      attemptNumber: 1,
      maxAttempts: 6,
      responseStatusCode: 404,
      responseBody: '{"error":"nope"}',
      errorMessage: "received non-2xx status code 404",
    });
    expect(run.attempts).toHaveLength(1);
  });

  it("retries network errors", async () => {
    // A port nobody listens on: connection refused.
    const { run } = await runOne({ url: "http://127.0.0.1:1/x", retryMax: 1 });
    expect(run.status).toBe("failed");
    expect(run.attempts.map((a) => a.outcome)).toEqual(["network_error", "network_error"]);
    expect(run.errorMessage).toMatch(/^request failed: .*ECONNREFUSED/);
    expect(run.responseStatusCode).toBeNull();
  });
});

describe("timeouts", () => {
  it("times out an attempt at the smaller of the job's and the worker's timeout and retries it", async () => {
    env.target.handler = async (_req, res, i) => {
      if (i === 0) await new Promise((r) => setTimeout(r, 1500));
      if (!res.destroyed) res.end("late or fine");
    };
    const { run } = await runOne({ url: env.target.url, retryMax: 1, timeoutSeconds: 30 }, { httpTimeoutMs: 300 });
    expect(run.attempts.map((a) => a.outcome)).toEqual(["timeout", "success"]);
    expect(run.attempts[0]?.errorMessage).toBe("timed out after 300 ms");
    expect(run.attempts[0]?.durationMs).toBeGreaterThanOrEqual(280);
    expect(run.status).toBe("success");
  });

  it("uses the job's timeout when it is the smaller one", async () => {
    env.target.handler = async (_req, res) => {
      await new Promise((r) => setTimeout(r, 1400));
      if (!res.destroyed) res.end("late");
    };
    const { run } = await runOne({ url: env.target.url, timeoutSeconds: 1 }, { httpTimeoutMs: 10_000 });
    expect(run).toMatchObject({ status: "failed", errorMessage: "timed out after 1000 ms" });
    expect(run.attempts[0]?.outcome).toBe("timeout");
  });
});

describe("redirects", () => {
  it("does not follow a 3xx and records it as a failure naming the Location", async () => {
    env.target.handler = (req, res) => {
      if (req.url === "/old") {
        res.writeHead(302, { location: "/new" });
        res.end();
      } else res.end("moved here");
    };
    const { run } = await runOne({ url: `${env.target.url}/old`, retryMax: 3 });
    expect(env.target.requests.map((r) => r.url)).toEqual(["/old"]);
    expect(run).toMatchObject({ status: "failed", responseStatusCode: 302, attemptNumber: 1 });
    expect(run.errorMessage).toContain("302");
    expect(run.errorMessage).toContain("Location: /new");
    expect((run.responseHeaders as Record<string, string[]>).location).toEqual(["/new"]);
  });
});

describe("redirects when enabled (WORKER_FOLLOW_REDIRECTS)", () => {
  it("follows a 3xx to its Location", async () => {
    env.target.handler = (req, res) => {
      if (req.url === "/old") {
        res.writeHead(301, { location: "/new" });
        res.end();
      } else res.end("moved here");
    };
    const { run } = await runOne({ url: `${env.target.url}/old`, method: "GET" }, { followRedirects: true });
    expect(env.target.requests.map((r) => r.url)).toEqual(["/old", "/new"]);
    expect(run).toMatchObject({ status: "success", responseStatusCode: 200, responseBody: "moved here" });
  });
});

describe("bad job data written behind the API's back", () => {
  it("an unparseable URL fails once without retries", async () => {
    const { run } = await runOne({ url: "not a url", retryMax: 3 });
    expect(run).toMatchObject({ status: "failed", attemptNumber: 1, errorMessage: "invalid URL: not a url" });
  });
});

describe("response capture", () => {
  it("stores at most 64 KiB cut on a character boundary, NUL replaced, with the full byte count", async () => {
    // 65535 ASCII bytes then "é" (2 bytes) straddles the 65536-byte cap; a NUL early on must not break the write.
    const body = Buffer.concat([
      Buffer.from("a\u0000b"),
      Buffer.alloc(65_532, "x"),
      Buffer.from("é€".repeat(1000)),
    ]);
    env.target.handler = (_req, res) => {
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
      res.end(body);
    };
    const { run } = await runOne({ url: env.target.url });
    expect(run.status).toBe("success");
    expect(run.responseBodyTruncated).toBe(true);
    expect(run.responseBodyBytes).toBe(body.length);
    const stored = run.responseBody ?? "";
    expect(stored.startsWith("a\uFFFDb")).toBe(true);
    expect(stored).not.toContain("\u0000");
    // 65535 bytes fit; the 2-byte "é" starting at byte 65535 does not, so it is dropped whole.
    expect(stored.endsWith("x")).toBe(true);
    expect(stored).not.toContain("\uFFFD\uFFFD");
    expect(Buffer.byteLength(stored.replace("\uFFFD", "\u0000"))).toBe(65_535);
  });

  it("records that the size of a body over 10 MiB without Content-Length is a lower bound", async () => {
    env.target.handler = (_req, res) => {
      // Chunked: no Content-Length. 11 MiB in 1 MiB chunks.
      res.writeHead(200, { "content-type": "application/octet-stream" });
      for (let i = 0; i < 11; i++) res.write(Buffer.alloc(1024 * 1024, 0x61));
      res.end();
    };
    const { run, logText } = await runOne({ url: env.target.url });
    expect(run).toMatchObject({ status: "success", responseBodyTruncated: true, responseBodyBytesCapped: true });
    expect(run.responseBodyBytes).toBeGreaterThanOrEqual(10 * 1024 * 1024);
    expect(run.responseBodyBytes).toBeLessThan(11 * 1024 * 1024);
    expect(logText).toMatch(/response body without Content-Length read up to the 10485760 byte cap; its size is at least \d+/);
  });

  it("keeps a short body whole and reports its size", async () => {
    env.target.handler = (_req, res) => {
      res.writeHead(201, { "set-cookie": ["a=1", "b=2"] });
      res.end("héllo");
    };
    const { run } = await runOne({ url: env.target.url });
    expect(run).toMatchObject({
      status: "success",
      responseStatusCode: 201,
      responseBody: "héllo",
      responseBodyTruncated: false,
      responseBodyBytes: 6,
      responseBodyBytesCapped: false,
    });
    expect((run.responseHeaders as Record<string, string[]>)["set-cookie"]).toEqual(["a=1", "b=2"]);
  });
});
