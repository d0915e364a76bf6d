// Chaos run: 3 real worker processes (`tsx src/main.ts`), a few hundred jobs on seconds-level schedules against a
// local HTTP target that records every call, one worker SIGKILLed and restarted every few seconds, and once all
// Postgres sessions of one worker cut with pg_terminate_backend. Then it checks, and prints:
// - no slot executed twice: every target call for (job, slot) carries the same run id, and job_runs has one row
//   per (job, slot);
// - coverage: every slot of every job in the window where workers lived has a run row (executed: success, failed,
//   cancelled; or recorded: skipped by policy, lost on a killed worker). A run lost with its worker is recorded, not
//   executed again: the unique (job_id, scheduled_for) forbids a second run of the slot;
// - no run left `running` after the sweeper;
// - repeated calls for one run only as retries: attempts 1..n in order after a retryable answer, with identical
//   Job-Id / Run-Id / Scheduled-For / Idempotency-Key headers.
//
// Usage: `pnpm test:chaos` (default 90 s), or `node --import tsx apps/worker/test/chaos.ts --duration 30 --jobs 300`.
// test/chaos.test.ts runs a short form inside `pnpm test`.
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";

import type { Db } from "@btick/db";
import { createTestDatabase } from "@btick/db/testing";
import { nextRunAfter, nextRuns } from "@btick/scheduling";

import { recoverLostRuns } from "../src/sql/recoverLostRuns.ts";

const appDir = fileURLToPath(new URL("..", import.meta.url));

export interface ChaosOptions {
  durationMs: number;
  jobs: number;
  workers: number;
  killEveryMs: number;
  leaseSeconds: number;
  /** When set, each worker's stdout (pino JSON, LOG_LEVEL warn) goes to `<logDir>/<worker id>.log`. */
  logDir?: string;
  log?: (line: string) => void;
}

interface Call {
  jobId: string;
  runId: string;
  slot: string;
  attempt: number;
  idem: string;
  scheduledHeader: string;
  status: number;
  at: number;
  /** The connection closed before our answer was sent (the worker's attempt timed out or was aborted). */
  closedEarly: boolean;
}

export interface ChaosReport {
  counts: Record<string, number>;
  violations: string[];
}

interface JobSpec {
  cron: string;
  concurrency: "forbid" | "allow" | "replace";
  misfire: "fire_once" | "catch_up";
  retryMax: number;
  /** Target latency for this job's calls. */
  latencyMs: [number, number];
  /** Share of first attempts answered 503. */
  failRate: number;
}

// Per 20 jobs: slow jobs that overlap their next slot under each concurrency policy, retried jobs (503s), and plain
// ones; about 5 executions per second per 20 jobs. Every job uses misfire catch_up, so every slot gets a row even
// when the workers fall behind.
function specFor(i: number): JobSpec {
  const kind = i % 20;
  const base = { misfire: "catch_up" as const, retryMax: 0, failRate: 0 };
  if (kind === 0) return { ...base, cron: "* * * * * *", concurrency: "forbid", latencyMs: [1200, 1600] };
  if (kind === 1) return { ...base, cron: "*/2 * * * * *", concurrency: "replace", latencyMs: [2500, 3000] };
  if (kind === 2) return { ...base, cron: "*/2 * * * * *", concurrency: "allow", latencyMs: [1500, 2500] };
  if (kind <= 5) return { ...base, cron: "*/4 * * * * *", concurrency: "forbid", retryMax: 2, latencyMs: [5, 50], failRate: 0.3 };
  if (kind <= 8) return { ...base, cron: "*/5 * * * * *", concurrency: "forbid", retryMax: 1, latencyMs: [5, 100], failRate: 0.1 };
  if (kind <= 14) return { ...base, cron: "*/5 * * * * *", concurrency: "forbid", latencyMs: [5, 100] };
  return { ...base, cron: "*/10 * * * * *", concurrency: "allow", latencyMs: [5, 100] };
}

const rand = (lo: number, hi: number) => lo + Math.random() * (hi - lo);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runChaos(opts: ChaosOptions): Promise<ChaosReport> {
  const log = opts.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  const t0 = Date.now();
  const phase = (name: string) => log(`chaos: +${((Date.now() - t0) / 1000).toFixed(1)} s ${name}`);
  const tdb = await createTestDatabase();
  const db = tdb.prisma;
  const calls: Call[] = [];
  const specs = new Map<string, JobSpec>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const h = (n: string) => String(req.headers[n] ?? "");
    req.resume();
    req.on("end", () => {
      const jobId = h("x-btick-job-id");
      const spec = specs.get(jobId);
      const attempt = Number(h("x-btick-attempt"));
      const status = spec && attempt === 1 && Math.random() < spec.failRate ? 503 : 200;
      const call: Call = {
        jobId,
        runId: h("x-btick-run-id"),
        slot: h("x-btick-scheduled-for"),
        attempt,
        idem: h("idempotency-key"),
        scheduledHeader: h("x-btick-scheduled-for"),
        status,
        at: Date.now(),
        closedEarly: false,
      };
      calls.push(call);
      res.on("close", () => {
        if (!res.writableFinished) call.closedEarly = true;
      });
      const [lo, hi] = spec?.latencyMs ?? [0, 0];
      setTimeout(() => {
        if (res.destroyed) return;
        res.writeHead(status, status === 503 ? { "retry-after": "0" } : {});
        res.end(status === 200 ? "ok" : "try again");
      }, rand(lo, hi));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const targetUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const procs = new Map<number, { child: ChildProcess; id: string; exited: Promise<void> }>();
  const killedIds = new Set<string>();
  const allIds = new Set<string>();
  let generation = 0;
  const counts: Record<string, number> = {};
  const bump = (k: string, n = 1) => (counts[k] = (counts[k] ?? 0) + n);

  const startWorker = (slot: number) => {
    const id = `chaos-w${slot}-g${++generation}`;
    allIds.add(id);
    const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
      cwd: appDir,
      env: {
        PATH: process.env.PATH ?? "",
        DATABASE_URL: tdb.url,
        WORKER_ID: id,
        WORKER_CONCURRENCY: "64",
        WORKER_POLL_INTERVAL_MS: "250",
        WORKER_STALE_CLAIM_SECONDS: String(opts.leaseSeconds),
        WORKER_TASK_LOG_PATH: "off",
        WORKER_SHUTDOWN_GRACE_SECONDS: "3",
        WORKER_HTTP_TIMEOUT_SECONDS: "10",
        // The target is on loopback; three processes would fight over one metrics port.
        WORKER_ALLOW_PRIVATE_NETWORKS: "true",
        WORKER_METRICS_PORT: "0",
        LOG_LEVEL: opts.logDir ? "warn" : "error",
      },
      stdio: ["ignore", opts.logDir ? "pipe" : "ignore", "pipe"],
    });
    if (opts.logDir) child.stdout?.pipe(createWriteStream(`${opts.logDir}/${id}.log`));
    let err = "";
    child.stderr?.on("data", (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    const exited = new Promise<void>((r) =>
      child.on("exit", (code, signal) => {
        if (signal === null && code !== 0) log(`worker ${id} exited with ${code ?? signal}: ${err.trim().slice(-500)}`);
        r();
      }),
    );
    procs.set(slot, { child, id, exited });
    bump("worker processes started");
  };

  try {
    const tenant = await db.tenant.create({ data: {} });
    // Jobs are created unscheduled (next_run_at null); they get their first slot once every worker is up.
    const rows = Array.from({ length: opts.jobs }, (_, i) => {
      const spec = specFor(i);
      const id = randomUUID();
      specs.set(id, spec);
      return {
        id,
        tenantId: tenant.id,
        name: `chaos ${i}`,
        method: "POST",
        url: `${targetUrl}/job/${i}`,
        body: { i },
        cronExpression: spec.cron,
        retryMax: spec.retryMax,
        timeoutSeconds: 5,
        concurrencyPolicy: spec.concurrency,
        misfirePolicy: spec.misfire,
        misfireCatchUpMax: 100,
        nextRunAt: null,
      };
    });
    await db.job.createMany({ data: rows });
    log(`chaos: ${opts.jobs} jobs, ${opts.workers} workers, ${Math.round(opts.durationMs / 1000)} s, kill every ${opts.killEveryMs} ms, lease ${opts.leaseSeconds} s`);

    for (let w = 0; w < opts.workers; w++) startWorker(w);
    phase("jobs created, workers starting");
    await waitForWorkers(db, [...procs.values()].map((p) => p.id));
    phase("workers up; chaos phase begins");
    const firstSlotAt = new Date(Date.now() + 1000);
    const ids = [...specs.keys()];
    const firsts = ids.map((id) => nextRuns((specs.get(id) as JobSpec).cron, "UTC", firstSlotAt, 1)[0] as Date);
    await db.$executeRaw`
update jobs as jobs set next_run_at = input.first
from unnest(${ids}::uuid[], ${firsts}::timestamptz[]) as input(id, first)
where jobs.id = input.id`;
    // The checked window: slots from the first one to the end of the chaos phase.
    const windowStart = firstSlotAt.getTime();
    await sleep(windowStart - Date.now());
    const endAt = windowStart + opts.durationMs;
    let cutDone = false;
    const cutAt = windowStart + opts.durationMs * 0.4;
    while (Date.now() < endAt) {
      await sleep(Math.min(opts.killEveryMs * rand(0.7, 1.3), Math.max(0, endAt - Date.now())));
      if (Date.now() >= endAt) break;
      if (!cutDone && Date.now() >= cutAt) {
        cutDone = true;
        // A worker that is up (has sessions), not one still starting.
        const connected = await db.$queryRaw<{ name: string }[]>`
select distinct activity.application_name as name from pg_stat_activity as activity
where activity.application_name like 'btick-worker:chaos-%'`;
        const ids = new Set(connected.map((c) => c.name.slice("btick-worker:".length)));
        const victim = [...procs.values()].find((p) => ids.has(p.id));
        if (victim) {
          const rows = await db.$queryRaw<{ n: number }[]>`
select count(pg_terminate_backend(activity.pid))::int as n
from pg_stat_activity as activity
where activity.application_name in (${`btick-worker:${victim.id}`}::text, ${`btick-worker-listen:${victim.id}`}::text)`;
          bump("postgres sessions terminated", rows[0]?.n ?? 0);
          log(`chaos: terminated ${rows[0]?.n ?? 0} Postgres sessions of ${victim.id}`);
        }
        continue;
      }
      const slot = Math.floor(Math.random() * opts.workers);
      const victim = procs.get(slot);
      if (!victim) continue;
      victim.child.kill("SIGKILL");
      await victim.exited;
      killedIds.add(victim.id);
      bump("workers SIGKILLed");
      startWorker(slot);
    }
    const windowEnd = Date.now();
    // Drain: the workers keep running, unharmed, until every slot of the window has been claimed.
    const drainDeadline = Date.now() + 60_000;
    while (Date.now() < drainDeadline) {
      const behind = await db.$queryRaw<{ n: number }[]>`
select count(*)::int as n from jobs as jobs where jobs.next_run_at <= ${new Date(windowEnd)}::timestamptz`;
      if ((behind[0]?.n ?? 0) === 0) break;
      await sleep(250);
    }
    bump("drain ms after the chaos phase", Date.now() - windowEnd);
    phase("drained; stopping workers");
    // Graceful stop: no new claims, in-flight runs finish (or are recorded failed after the grace period).
    for (const p of procs.values()) p.child.kill("SIGTERM");
    await Promise.all([...procs.values()].map((p) => p.exited));

    phase("workers stopped");
    // The sweeper: runs of killed workers expire within the lease; mark them lost.
    await sleep(opts.leaseSeconds * 1000 + 500);
    bump("runs marked lost by the final sweep", (await recoverLostRuns(db)).length);

    phase("swept; checking");
    // ---- checks ----
    const violations: string[] = [];
    const runs = await db.jobRun.findMany({
      select: { id: true, jobId: true, scheduledFor: true, status: true, workerId: true, triggerType: true },
    });
    const runById = new Map(runs.map((r) => [r.id, r]));
    for (const r of runs) bump(`runs ${r.status}`);
    bump("runs total", runs.length);
    bump("target calls", calls.length);

    // 1. One row per slot, and every call of a slot belongs to that one run.
    const rowsPerSlot = new Map<string, number>();
    for (const r of runs) {
      const k = `${r.jobId}/${r.scheduledFor.toISOString()}`;
      rowsPerSlot.set(k, (rowsPerSlot.get(k) ?? 0) + 1);
    }
    const dupRows = [...rowsPerSlot.values()].filter((n) => n > 1).length;
    bump("slots recorded twice", dupRows);
    if (dupRows > 0) violations.push(`${dupRows} slots have more than one run row`);
    const runsPerSlot = new Map<string, Set<string>>();
    for (const c of calls) {
      const k = `${c.jobId}/${c.slot}`;
      const set = runsPerSlot.get(k) ?? new Set();
      set.add(c.runId);
      runsPerSlot.set(k, set);
    }
    const dupExec = [...runsPerSlot.entries()].filter(([, s]) => s.size > 1);
    bump("slots executed by two runs", dupExec.length);
    if (dupExec.length > 0) violations.push(`slots executed by more than one run: ${dupExec.slice(0, 5).map(([k]) => k).join(", ")}`);
    bump("slots executed", runsPerSlot.size);
    const unknownRuns = [...new Set(calls.map((c) => c.runId))].filter((id) => !runById.has(id));
    bump("calls for runs without a row", unknownRuns.length);
    if (unknownRuns.length > 0) violations.push(`${unknownRuns.length} called run ids have no run row`);

    // 2. Repeated calls for one run only as retries with identical idempotency headers.
    const callsByRun = new Map<string, Call[]>();
    for (const c of calls) callsByRun.set(c.runId, [...(callsByRun.get(c.runId) ?? []), c]);
    let retries = 0;
    let badRepeats = 0;
    for (const [runId, cs] of callsByRun) {
      cs.sort((a, b) => a.attempt - b.attempt || a.at - b.at);
      const spec = specs.get(cs[0]?.jobId ?? "");
      for (let i = 0; i < cs.length; i++) {
        const c = cs[i] as Call;
        const ok =
          c.attempt === i + 1 &&
          c.idem === runId &&
          c.scheduledHeader === cs[0]?.scheduledHeader &&
          c.jobId === cs[0]?.jobId &&
          (i === 0 || (((cs[i - 1] as Call).status >= 500 || (cs[i - 1] as Call).closedEarly) && i <= (spec?.retryMax ?? 0)));
        if (!ok) {
          badRepeats++;
          if (badRepeats <= 3) log(`debug: repeated call ${JSON.stringify(cs)}`);
        }
        if (i > 0) retries++;
      }
    }
    bump("documented retries (same idempotency headers)", retries);
    bump("repeated calls that are not retries", badRepeats);
    if (badRepeats > 0) violations.push(`${badRepeats} repeated calls were not documented retries`);

    // 3. Coverage: every slot in [windowStart, windowEnd] has a row.
    let expected = 0;
    let missing = 0;
    const missingExamples: string[] = [];
    const jobs = await db.job.findMany({ select: { id: true, cronExpression: true } });
    for (const job of jobs) {
      const slots: Date[] = [];
      for (let at = nextRunAfter(job.cronExpression, "UTC", new Date(windowStart - 1)); at.getTime() <= windowEnd; ) {
        slots.push(at);
        at = nextRunAfter(job.cronExpression, "UTC", at);
      }
      for (const s of slots) {
        expected++;
        if (!rowsPerSlot.has(`${job.id}/${s.toISOString()}`)) {
          missing++;
          if (missingExamples.length < 5) missingExamples.push(`${job.id}/${s.toISOString()}`);
        }
      }
    }
    bump("slots due in the window", expected);
    bump("due slots without a run row", missing);
    if (missing > 0) {
      violations.push(`${missing} due slots have no run row, e.g. ${missingExamples.join(", ")}`);
      const first = missingExamples[0]?.split("/")[0] ?? "";
      const rowsOfFirst = runs.filter((r) => r.jobId === first).map((r) => `${r.scheduledFor.toISOString()} ${r.status}`);
      log(`debug: job ${first} ${JSON.stringify(specs.get(first))} rows: ${rowsOfFirst.join(", ")}`);
    }

    // Lost runs belong to killed workers only; executed runs were really called.
    const lostElsewhere = runs.filter((r) => r.status === "lost" && !killedIds.has(r.workerId ?? "")).length;
    bump("lost runs on workers that were not killed", lostElsewhere);
    if (lostElsewhere > 0) violations.push(`${lostElsewhere} runs lost on workers that were never killed`);
    const successWithoutCall = runs.filter((r) => r.status === "success" && !callsByRun.has(r.id)).length;
    bump("successful runs the target never saw", successWithoutCall);
    if (successWithoutCall > 0) violations.push(`${successWithoutCall} successful runs were never received by the target`);

    // 4. Nothing left running.
    const stillRunning = runs.filter((r) => r.status === "running").length;
    if (stillRunning > 0) violations.push(`${stillRunning} runs still running after the sweep`);
    return { counts, violations };
  } finally {
    for (const p of procs.values()) p.child.kill("SIGKILL");
    await Promise.all([...procs.values()].map((p) => p.exited));
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    if (process.env.CHAOS_KEEP_DB) log(`chaos: kept database ${tdb.url}`);
    else await tdb.drop();
  }
}

/** Resolves once every listed worker has its LISTEN session open (it has migrated and started its loop). */
async function waitForWorkers(db: Db, ids: string[], timeoutMs = 60_000): Promise<void> {
  const names = ids.map((id) => `btick-worker-listen:${id}`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await db.$queryRaw<{ n: number }[]>`
select count(distinct activity.application_name)::int as n from pg_stat_activity as activity
where activity.application_name = any(${names}::text[])`;
    if ((rows[0]?.n ?? 0) >= names.length) return;
    if (Date.now() > deadline) throw new Error("workers did not start in time");
    await sleep(100);
  }
}

export function printReport(report: ChaosReport, log: (l: string) => void = (l) => process.stdout.write(`${l}\n`)): void {
  const width = Math.max(...Object.keys(report.counts).map((k) => k.length));
  log("chaos counts:");
  for (const [k, v] of Object.entries(report.counts).sort(([a], [b]) => a.localeCompare(b))) log(`  ${k.padEnd(width)}  ${v}`);
  log(report.violations.length === 0 ? "chaos: OK, no violations" : `chaos: ${report.violations.length} VIOLATIONS:\n  ${report.violations.join("\n  ")}`);
}

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const report = await runChaos({
    durationMs: arg("duration", 90) * 1000,
    jobs: arg("jobs", 300),
    workers: 3,
    killEveryMs: arg("kill-every", 4) * 1000,
    leaseSeconds: arg("lease", 10),
    logDir: process.env.CHAOS_LOG_DIR,
  });
  printReport(report);
  process.exit(report.violations.length === 0 ? 0 : 1);
}
