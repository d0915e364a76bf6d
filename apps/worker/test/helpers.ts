// Shared test fixtures: a fresh database per file, a recording HTTP target, job rows, workers with fast options, and
// the real worker entry point as a child process.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import { connect, createServer as createNetServer, type AddressInfo, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";

import type { Db } from "@btick/db";
import { createTestDatabase, type TestDatabase } from "@btick/db/testing";
import pino, { type Logger } from "pino";
import { afterAll, afterEach, beforeAll } from "vitest";

import { createWorker, type CreateWorkerArgs, type Worker } from "../src/worker.ts";
import type { WorkerOptions } from "../src/options.ts";

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

export type Handler = (req: RecordedRequest, res: ServerResponse, index: number) => void | Promise<void>;

export interface Target {
  url: string;
  requests: RecordedRequest[];
  /** Responds 200 "ok" unless replaced. */
  handler: Handler;
  /** Resolves when the target has received `n` requests in total. */
  waitForRequests(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** The target's default answer: 200 "ok". */
export const okHandler: Handler = (_req, res) => {
  res.writeHead(200, { "content-type": "text/plain" });
  res.end("ok");
};

export async function startTarget(): Promise<Target> {
  const waiters: { n: number; resolve: () => void }[] = [];
  const target: Target = {
    url: "",
    requests: [],
    handler: okHandler,
    waitForRequests(n, timeoutMs = 5000) {
      if (target.requests.length >= n) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`target got ${target.requests.length} requests, wanted ${n}`)), timeoutMs);
        waiters.push({
          n,
          resolve: () => {
            clearTimeout(t);
            resolve();
          },
        });
      });
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const rec: RecordedRequest = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
        at: Date.now(),
      };
      target.requests.push(rec);
      const index = target.requests.length - 1;
      for (const w of waiters.filter((w) => target.requests.length >= w.n)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
      void Promise.resolve(target.handler(rec, res, index)).catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  target.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return target;
}

export async function createTenant(db: Db): Promise<string> {
  const tenant = await db.tenant.create({ data: {} });
  return tenant.id;
}

export interface JobInput {
  name?: string;
  method?: string;
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
  cronExpression?: string;
  timezone?: string;
  retryMax?: number;
  timeoutSeconds?: number;
  enabled?: boolean;
  /** Defaults to one second ago (due now). */
  nextRunAt?: Date | null;
}

/** Inserts a job row directly (tenant first). The default cron fires once a year so only next_run_at makes it due. */
export async function createJob(db: Db, tenantId: string, input: JobInput) {
  return db.job.create({
    data: {
      tenantId,
      name: input.name ?? "test job",
      method: input.method ?? "POST",
      url: input.url,
      headers: input.headers ?? {},
      body: input.body === undefined || input.body === null ? undefined : (input.body as object),
      cronExpression: input.cronExpression ?? "0 0 1 1 *",
      timezone: input.timezone ?? "UTC",
      retryMax: input.retryMax ?? 0,
      timeoutSeconds: input.timeoutSeconds ?? 5,
      enabled: input.enabled ?? true,
      nextRunAt: input.nextRunAt === undefined ? new Date(Date.now() - 1000) : input.nextRunAt,
    },
  });
}

export async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), "btick-worker-test-"));
}

let workerCounter = 0;

/** A worker with small timeouts and backoff so tests stay fast. */
export async function makeWorker(
  db: Db,
  options: Partial<WorkerOptions> = {},
  extra: Omit<CreateWorkerArgs, "db" | "options"> = {},
): Promise<Worker> {
  return createWorker({
    db,
    options: {
      workerId: `test-worker-${process.pid}-${++workerCounter}`,
      concurrency: 4,
      pollIntervalMs: 200,
      leaseMs: 60_000,
      httpTimeoutMs: 5000,
      taskLogPath: await tempDir(),
      retryBaseMs: 20,
      retryCapMs: 100,
      retryAfterCapMs: 5 * 60_000,
      // Test targets listen on 127.0.0.1; the outbound-call policy has its own tests (ssrf.test.ts).
      allowPrivateNetworks: true,
      ...options,
    },
    ...extra,
  });
}

/** A pino logger writing JSON lines into an array. */
export function captureLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString("utf8").split("\n")) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: pino({ level: "debug" }, stream), lines };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A promise with its resolve function exposed, to hold a target response until the test releases it. */
export function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

export interface TestEnv {
  readonly tdb: TestDatabase;
  /** The file's database (tdb.prisma). */
  readonly db: Db;
  readonly target: Target;
  readonly tenantId: string;
  /** makeWorker on this file's database; every worker made here is stopped after its test, even a failed one. */
  makeWorker(options?: Partial<WorkerOptions>, extra?: Omit<CreateWorkerArgs, "db" | "options">): Promise<Worker>;
  /** Same, on another database client (a proxy, a second pool). */
  makeWorkerOn(db: Db, options?: Partial<WorkerOptions>, extra?: Omit<CreateWorkerArgs, "db" | "options">): Promise<Worker>;
}

/**
 * The setup every worker test file shares: a fresh database, a recording target and a tenant for the whole file;
 * after each test, the workers it made are stopped, its jobs (with their runs) deleted and the target reset.
 */
export function useTestEnv(): TestEnv {
  let tdb: TestDatabase | undefined;
  let target: Target | undefined;
  let tenantId: string | undefined;
  const started: Worker[] = [];
  const need = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new Error(`${what} is only available inside tests (after beforeAll)`);
    return v;
  };
  beforeAll(async () => {
    tdb = await createTestDatabase();
    target = await startTarget();
    tenantId = await createTenant(tdb.prisma);
  });
  afterAll(async () => {
    await target?.close();
    await tdb?.drop();
  });
  afterEach(async () => {
    await Promise.all(started.splice(0).map((w) => w.stop({ graceMs: 0 })));
    await tdb?.prisma.job.deleteMany();
    if (target) {
      target.requests.length = 0;
      target.handler = okHandler;
    }
  });
  const env: TestEnv = {
    get tdb() {
      return need(tdb, "tdb");
    },
    get db() {
      return need(tdb, "db").prisma;
    },
    get target() {
      return need(target, "target");
    },
    get tenantId() {
      return need(tenantId, "tenantId");
    },
    makeWorker: (options, extra) => env.makeWorkerOn(env.db, options, extra),
    async makeWorkerOn(db, options, extra) {
      const w = await makeWorker(db, options, extra);
      started.push(w);
      return w;
    },
  };
  return env;
}

const appDir = fileURLToPath(new URL("..", import.meta.url));
const children = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of children) child.kill("SIGKILL");
});

export interface WorkerProcess {
  pid: number | undefined;
  exit: Promise<number | null>;
  stdout: () => string;
  stderr: () => string;
  kill: (signal: NodeJS.Signals) => void;
  waitFor: (re: RegExp, timeoutMs?: number) => Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createNetServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts `src/main.ts` as a process with only `env` (plus PATH, private targets allowed, no metrics port).
 * `preload` modules are imported first (`--import`), e.g. test/fixtures/skewClock.mjs.
 */
export function startWorkerProcess(env: Record<string, string>, opts: { preload?: string[] } = {}): WorkerProcess {
  const preload = (opts.preload ?? []).flatMap((m) => ["--import", m]);
  const child = spawn(process.execPath, ["--import", "tsx", ...preload, "src/main.ts"], {
    cwd: appDir,
    env: { PATH: process.env.PATH ?? "", WORKER_ALLOW_PRIVATE_NETWORKS: "true", WORKER_METRICS_PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  // A test that times out never reaches its cleanup: no worker process outlives the test run.
  children.add(child);
  child.once("exit", () => children.delete(child));
  let out = "";
  let err = "";
  const listeners: (() => void)[] = [];
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString();
    for (const l of listeners) l();
  });
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  return {
    pid: child.pid,
    exit: new Promise((resolve) => child.on("exit", (code) => resolve(code))),
    stdout: () => out,
    stderr: () => err,
    kill: (signal) => child.kill(signal),
    waitFor: (re, timeoutMs = 15_000) =>
      new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`timed out waiting for ${re}; stdout: ${out}; stderr: ${err}`)), timeoutMs);
        const check = () => {
          if (re.test(out)) {
            clearTimeout(t);
            resolve();
          }
        };
        listeners.push(check);
        check();
      }),
  };
}

export interface TcpProxy {
  /** The proxy's address as a connection string for `databaseUrl`'s database. */
  url: string;
  /** The database "goes down": open connections are cut and new ones refused. */
  cut(): Promise<void>;
  /** The database is reachable again, on the same address. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

/** A TCP proxy in front of PostgreSQL, to take the database away from a worker and give it back. */
export async function startTcpProxy(databaseUrl: string): Promise<TcpProxy> {
  const upstream = new URL(databaseUrl);
  const sockets = new Set<Socket>();
  const server = createNetServer((client) => {
    const server = connect(Number(upstream.port || 5432), upstream.hostname);
    for (const s of [client, server]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => {});
    }
    client.pipe(server).pipe(client);
    client.on("close", () => server.destroy());
    server.on("close", () => client.destroy());
  });
  const listen = (port: number) => new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  await listen(0);
  const port = (server.address() as AddressInfo).port;
  const url = new URL(databaseUrl);
  url.hostname = "127.0.0.1";
  url.port = String(port);
  const cut = async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    });
  };
  return { url: url.toString(), cut, restore: () => listen(port), close: cut };
}
