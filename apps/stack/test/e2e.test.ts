// End to end: the real API and two real worker processes on a fresh database, a user and key made with the real CLI,
// a job with a seconds-level schedule created over REST, calling a local HTTP target.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createRequire } from "node:module";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createTestDatabase, type TestDatabase } from "@btick/db/testing";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
const cliBin = join(repoRoot, "apps", "cli", "bin", "btick.js");

// ---- helpers ----

interface Call {
  at: number;
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

const output: string[] = [];
const logTail = () => output.slice(-60).join("\n");

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createNetServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

function startProcess(name: string, app: string, env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, ["--import", tsxLoader, "src/main.ts"], {
    cwd: join(repoRoot, "apps", app),
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const capture = (chunk: Buffer) => {
    for (const line of chunk.toString("utf8").split("\n")) if (line.trim()) output.push(`[${name}] ${line}`);
  };
  child.stdout?.on("data", capture);
  child.stderr?.on("data", capture);
  child.on("exit", (code, signal) => output.push(`[${name}] exited (code ${code}, signal ${signal})`));
  return child;
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

function btick(args: string[], databaseUrl: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cliBin, ...args], { cwd: repoRoot, env: { ...process.env, DATABASE_URL: databaseUrl } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns a value (not undefined) or the timeout passes. */
async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n--- process output ---\n${logTail()}`);
    await sleep(200);
  }
}

// ---- the stack under test ----

let db: TestDatabase;
let target: Server;
let targetUrl: string;
const calls: Call[] = [];
const processes: ChildProcess[] = [];
let api: string;
let key: string;
const taskLogs = mkdtempSync(join(tmpdir(), "btick-e2e-logs-"));

async function request(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${api}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

interface Run {
  id: string;
  trigger_type: string;
  status: string;
  scheduled_for: string;
  response_status_code: number | null;
  worker_id: string | null;
}

async function listRuns(jobId: string, query = ""): Promise<Run[]> {
  const r = await request("GET", `/api/v1/jobs/${jobId}/runs${query}`);
  expect(r.status).toBe(200);
  return r.json.runs as Run[];
}

beforeAll(async () => {
  db = await createTestDatabase("btick_e2e");

  target = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString("utf8")));
    req.on("end", () => {
      calls.push({ at: Date.now(), method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => target.listen(0, "127.0.0.1", resolve));
  targetUrl = `http://127.0.0.1:${(target.address() as { port: number }).port}/hook?source=e2e`;

  const port = await freePort();
  api = `http://127.0.0.1:${port}`;
  // The targets are on 127.0.0.1: allow private networks on both sides; no worker metrics ports (two workers).
  const common = {
    DATABASE_URL: db.url,
    LOG_LEVEL: "info",
    NODE_ENV: "test",
    API_ALLOW_PRIVATE_NETWORKS: "true",
    WORKER_ALLOW_PRIVATE_NETWORKS: "true",
    WORKER_METRICS_PORT: "0",
  };
  processes.push(startProcess("api", "api", { ...common, HOST: "127.0.0.1", PORT: String(port) }));
  for (const id of ["e2e-worker-1", "e2e-worker-2"]) {
    processes.push(
      startProcess(id, "worker", { ...common, WORKER_ID: id, WORKER_POLL_INTERVAL_MS: "250", WORKER_TASK_LOG_PATH: taskLogs }),
    );
  }
  await waitFor(
    "the API to be ready",
    async () => {
      try {
        return (await fetch(`${api}/readyz`)).status === 200 ? true : undefined;
      } catch {
        return undefined;
      }
    },
    60_000,
  );

  const user = await btick(["admin", "create-user", "--email", "e2e@example.com", "--password", "e2e-password"], db.url);
  expect(user.code, user.stderr).toBe(0);
  const created = await btick(
    ["admin", "create-api-key", "--email", "e2e@example.com", "--name", "e2e", "--scopes", "jobs:read,jobs:write,jobs:trigger,runs:read"],
    db.url,
  );
  expect(created.code, created.stderr).toBe(0);
  key = created.stdout.trim();
  expect(key).toMatch(/^skd_[0-9a-f]{12}_/);
}, 120_000);

afterAll(async () => {
  await Promise.all(processes.map(stopProcess));
  await new Promise<void>((resolve) => (target ? target.close(() => resolve()) : resolve()));
  await db?.drop();
  rmSync(taskLogs, { recursive: true, force: true });
}, 60_000);

describe("BTick end to end", () => {
  let jobId: string;

  it("runs a seconds-level job on schedule and records its runs", async () => {
    const created = await request("POST", "/api/v1/jobs", {
      name: "e2e every 2s",
      method: "POST",
      url: targetUrl,
      headers: { "X-Test": "e2e" },
      body: { hello: "world" },
      cron_expression: "*/2 * * * * *",
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const job = created.json.job as Record<string, unknown>;
    jobId = job.id as string;
    expect(job).toMatchObject({ enabled: true, timezone: "UTC", retry_max: 0, timeout_seconds: 60, method: "POST" });
    expect(job.next_runs).toHaveLength(5);

    await waitFor("two calls to the target", () => (calls.length >= 2 ? true : undefined));
    const call = calls[0] as Call;
    expect(call.method).toBe("POST");
    expect(call.url).toBe("/hook?source=e2e");
    expect(JSON.parse(call.body)).toEqual({ hello: "world" });
    expect(call.headers).toMatchObject({
      "content-type": "application/json",
      "user-agent": "btick-worker/0.1",
      "x-test": "e2e",
      "x-btick-job-id": jobId,
      "x-btick-attempt": "1",
    });
    expect(call.headers["idempotency-key"]).toBe(call.headers["x-btick-run-id"]);
    expect(new Date(call.headers["x-btick-scheduled-for"] as string).getUTCSeconds() % 2).toBe(0);

    const runs = await waitFor("two successful scheduled runs", async () => {
      const rs = (await listRuns(jobId)).filter((r) => r.status === "success");
      return rs.length >= 2 ? rs : undefined;
    });
    for (const run of runs) {
      expect(run).toMatchObject({ trigger_type: "scheduled", status: "success", response_status_code: 200 });
      expect(["e2e-worker-1", "e2e-worker-2"]).toContain(run.worker_id);
    }
  });

  it("runs a manual trigger", async () => {
    const triggered = await request("POST", `/api/v1/jobs/${jobId}/trigger`);
    expect(triggered.status).toBe(202);
    expect(triggered.json).toMatchObject({ message: "manual trigger accepted" });
    expect(triggered.json.trigger_id).toEqual(expect.any(String));

    const manual = await waitFor("a successful manual run", async () => {
      const rs = await listRuns(jobId, "?trigger_type=manual");
      return rs.find((r) => r.status === "success");
    });
    expect(manual).toMatchObject({ trigger_type: "manual", response_status_code: 200 });
    expect(calls.some((c) => c.headers["x-btick-run-id"] === manual.id)).toBe(true);
  });

  it("stops calling the target once paused", async () => {
    const paused = await request("POST", `/api/v1/jobs/${jobId}/pause`);
    expect(paused.status).toBe(200);
    expect(paused.json.job).toMatchObject({ enabled: false, next_run_at: null });

    // A slot claimed just before the pause may still be in flight; let it land.
    await waitFor("no running runs", async () => ((await listRuns(jobId, "?status=running")).length === 0 ? true : undefined));
    await sleep(1000);
    const before = calls.length;
    await sleep(5000); // more than two slots of the schedule
    expect(calls.length).toBe(before);
  });

  it("executed every scheduled slot exactly once across both workers", async () => {
    const runs = await listRuns(jobId, "?limit=500");
    const scheduled = runs.filter((r) => r.trigger_type === "scheduled");
    expect(new Set(scheduled.map((r) => r.scheduled_for)).size).toBe(scheduled.length);
    const slotsCalled = calls
      .filter((c) => c.headers["x-btick-job-id"] === jobId)
      .map((c) => `${c.headers["x-btick-run-id"] as string}/${c.headers["x-btick-attempt"] as string}`);
    expect(new Set(slotsCalled).size).toBe(slotsCalled.length);
    expect(calls.length).toBe(runs.length);
  });
});
